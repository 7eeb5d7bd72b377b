/**
 * The saturation ladder: ever more messages a second to 1,000 receivers,
 * until a server no longer holds a step (no loss, p99 within bound).
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

/** Saturation ladder at 1,000 receivers, in messages per second. */
const LADDER_RATES = [50, 70, 100, 200, 300, 500, 700, 1000] as const;
/** Receivers on every step of the ladder. */
export const LADDER_RECEIVERS = 1000;
/** Held: no loss, no socket cut off, p99 within this bound. */
export const LADDER_P99_LIMIT_MS = 250;
/**
 * Runs of a step before a server leaves the ladder: on this shared machine
 * one noisy run could end a ladder several steps early, so a step not held
 * is run once more, for every server alike.
 */
const LADDER_ATTEMPTS = 2;

/**
 * Runs one ladder step for one server, and once more when it is not held
 * (up to {@linkcode LADDER_ATTEMPTS} runs); every run goes into `steps`.
 */
async function ladderStep(
  name: TargetName,
  mode: Mode,
  rate: number,
  durationMs: number,
  steps: Record<string, LoadResult>,
): Promise<{ result: LoadResult; ok: boolean }> {
  for (let attempt = 1;; attempt++) {
    const result = await measure(name, mode, {
      receivers: LADDER_RECEIVERS,
      rate,
      durationMs,
      drainMs: 1500,
    });
    steps[`${name} ${rate}${attempt > 1 ? ` run ${attempt}` : ""}`] = result;
    const ok = result.lost === 0 && result.closedEarly === 0 &&
      result.outOfOrder === 0 && result.latencyMs.p99 <= LADDER_P99_LIMIT_MS;
    say(
      `ladder ${mode} ${name} ${rate * LADDER_RECEIVERS}/s: ${
        ok ? "held" : "failed"
      }, p99 ${result.latencyMs.p99} ms, lost ${result.lost}, out of order ${result.outOfOrder}, load CPU ${result.loadCpuPercent} %`,
    );
    if (ok || attempt >= LADDER_ATTEMPTS) return { result, ok };
  }
}

/**
 * Climbs the ladder, the servers still on it in turn at each step.
 *
 * @param targets The servers; `ours` among them.
 * @param modes The protocols to climb it in.
 * @param durationMs How long each step sends.
 * @param raw Gets every step's result, by protocol.
 * @returns The Markdown table.
 * @throws {Error} When a server does not start or a load process fails.
 */
export async function ladder(
  targets: TargetName[],
  modes: Mode[],
  durationMs: number,
  raw: Record<string, unknown>,
): Promise<string> {
  const rows: string[][] = [];
  for (const mode of modes) {
    const held = new Map<TargetName, number>(targets.map((name) => [name, 0]));
    /** p99 at the highest step held. */
    const heldP99 = new Map<TargetName, number>();
    const failedAt = new Map<TargetName, string>();
    const steps: Record<string, LoadResult> = {};
    let running = [...targets];
    for (const [step, rate] of LADDER_RATES.entries()) {
      if (running.length === 0) break;
      for (const name of rotate(running, step)) {
        const { result, ok } = await ladderStep(
          name,
          mode,
          rate,
          durationMs,
          steps,
        );
        if (ok) {
          held.set(name, rate * LADDER_RECEIVERS);
          heldP99.set(name, result.latencyMs.p99);
        } else {
          failedAt.set(
            name,
            `${rate * LADDER_RECEIVERS}/s: p99 ${
              fixed(result.latencyMs.p99, 0)
            } ms, lost ${result.lost}${
              result.outOfOrder > 0 ? `, out of order ${result.outOfOrder}` : ""
            }, load CPU ${result.loadCpuPercent} %`,
          );
          running = running.filter((other) => other !== name);
        }
      }
    }
    raw[`ladder ${mode}`] = steps;
    const ours = held.get("ours") ?? NaN;
    for (const name of targets) {
      const best = held.get(name)!;
      rows.push([
        mode,
        name,
        best === 0 ? "< first step" : String(best),
        fixed(heldP99.get(name) ?? NaN, 1),
        fixed(best / ours, 2),
        failedAt.get(name) ?? "held the top step",
      ]);
    }
  }
  return table([
    "protocol",
    "server",
    "highest deliveries/s held",
    "p99 ms there",
    "vs ours",
    "first step not held",
  ], rows);
}
