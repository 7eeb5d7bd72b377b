/**
 * The steady scenario: 50,000 deliveries a second, as few receivers with many
 * messages and as many receivers with few, each server's CPU per delivery
 * compared with ours.
 *
 * @module
 */
import type { LoadResult } from "./run.ts";
import type { TargetName } from "./servers.ts";
import {
  fixed,
  measure,
  median,
  type Mode,
  rotate,
  say,
  table,
} from "./_scenario_common.ts";

/** The steady scenarios: receivers × messages per second = 50,000 deliveries/s. */
const STEADY = [
  { receivers: 100, rate: 500 },
  { receivers: 1000, rate: 50 },
] as const;

/**
 * Runs the steady scenarios, the servers in turn within each repeat.
 *
 * @param targets The servers; `ours` among them.
 * @param modes The protocols to run each load in.
 * @param repeats Runs of each load per server (the table shows medians).
 * @param durationMs How long each run sends.
 * @param raw Gets every run's result, by load and protocol.
 * @returns The Markdown table.
 * @throws {Error} When a server does not start or a load process fails.
 */
export async function steady(
  targets: TargetName[],
  modes: Mode[],
  repeats: number,
  durationMs: number,
  raw: Record<string, unknown>,
): Promise<string> {
  const rows: string[][] = [];
  for (const { receivers, rate } of STEADY) {
    for (const mode of modes) {
      const runs = new Map<TargetName, LoadResult[]>();
      for (let repeat = 0; repeat < repeats; repeat++) {
        for (const name of rotate(targets, repeat)) {
          const result = await measure(name, mode, {
            receivers,
            rate,
            durationMs,
          });
          say(
            `steady ${receivers}x${rate} ${mode} ${name}: ${result.serverCpuMicrosPerDelivery} us/delivery, p99 ${result.latencyMs.p99} ms, lost ${result.lost}, out of order ${result.outOfOrder}, load CPU ${result.loadCpuPercent} %`,
          );
          runs.set(name, [...runs.get(name) ?? [], result]);
        }
      }
      raw[`steady ${receivers}x${rate} ${mode}`] = Object.fromEntries(runs);
      const cpuOf = (name: TargetName) =>
        median(runs.get(name)!.map((r) => r.serverCpuMicrosPerDelivery));
      const ours = cpuOf("ours");
      for (const name of targets) {
        const results = runs.get(name)!;
        const cpu = cpuOf(name);
        rows.push([
          `${receivers} × ${rate}/s`,
          mode,
          name,
          String(Math.round(median(results.map((r) => r.deliveriesPerSecond)))),
          String(Math.max(...results.map((r) => r.lost))),
          String(Math.max(...results.map((r) => r.outOfOrder))),
          fixed(median(results.map((r) => r.latencyMs.p50)), 2),
          fixed(median(results.map((r) => r.latencyMs.p99)), 2),
          fixed(cpu, 2),
          fixed(cpu / ours, 2),
          String(median(results.map((r) => r.loadCpuPercent))),
        ]);
      }
    }
  }
  return table([
    "load",
    "protocol",
    "server",
    "deliveries/s",
    "lost (worst)",
    "out of order (worst)",
    "p50 ms",
    "p99 ms",
    "CPU µs/delivery",
    "CPU vs ours",
    "load-gen CPU %",
  ], rows);
}
