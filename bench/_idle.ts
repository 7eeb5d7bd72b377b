/**
 * The idle scenario: 10,000 connections that send nothing, and the memory
 * each costs the server.
 *
 * @module
 */
import type { LoadResult } from "./run.ts";
import type { TargetName } from "./servers.ts";
import {
  fixed,
  measure,
  type Mode,
  rotate,
  say,
  table,
} from "./_scenario_common.ts";

/** Connections the idle scenario holds open. */
export const IDLE_CONNECTIONS = 10_000;

/**
 * Opens the idle connections to each server in turn and reads its memory.
 *
 * @param targets The servers; `ours` among them.
 * @param modes The protocols to connect with.
 * @param raw Gets every run's result, by protocol.
 * @returns The Markdown table.
 * @throws {Error} When a server does not start or a load process fails.
 */
export async function idle(
  targets: TargetName[],
  modes: Mode[],
  raw: Record<string, unknown>,
): Promise<string> {
  const rows: string[][] = [];
  for (const [index, mode] of modes.entries()) {
    const results: Record<string, LoadResult> = {};
    for (const name of rotate(targets, index)) {
      const result = await measure(name, mode, {
        receivers: IDLE_CONNECTIONS,
        senders: 0,
        rate: 0,
        durationMs: 1000,
        drainMs: 0,
      });
      results[name] = result;
      say(
        `idle ${mode} ${name}: ${result.opened} open, ${
          fixed(result.rssPerConnectionBytes / 1024)
        } KiB/connection`,
      );
    }
    raw[`idle ${mode}`] = results;
    const ours = results.ours?.rssPerConnectionBytes ?? NaN;
    for (const name of targets) {
      const result = results[name]!;
      rows.push([
        mode,
        name,
        `${result.opened} / ${IDLE_CONNECTIONS}`,
        fixed(result.serverRssBytes / 2 ** 20, 0),
        fixed(result.rssPerConnectionBytes / 1024, 1),
        fixed(result.rssPerConnectionBytes / ours, 2),
      ]);
    }
  }
  return table([
    "protocol",
    "server",
    "open",
    "server RSS MiB",
    "KiB per connection",
    "vs ours",
  ], rows);
}
