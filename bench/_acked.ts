/**
 * The acked scenario: senders in one room, each waiting for its `ack` before
 * sending again, with history in memory and in a file. Only our server
 * stores and acknowledges, so the peers take no part.
 *
 * @module
 */
import { type LoadResult, runLoad } from "./run.ts";
import { startTarget, type TargetName } from "./servers.ts";
import { fixed, median, rotate, say, table } from "./_scenario_common.ts";

/**
 * Acked scenario: this many `chat.v1` senders in one room, each waiting for
 * its `ack` before sending again (so every message is stored before the
 * next): enough concurrency for the group commit to matter, few enough
 * members that the fan-out (senders × messages) does not dominate.
 */
export const ACKED_SENDERS = 100;
/** Where the acked scenario's server keeps history: in memory, and a file in a temporary folder. */
const ACKED_KV = ["memory", "file"] as const;

async function resultsDir(): Promise<string> {
  const dir = new URL("./results/", import.meta.url).pathname;
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Runs the acked scenario against our server (and `baseline`, when among
 * `targets`), once per place history is kept.
 *
 * @param targets The servers; those other than `ours` and `baseline` are skipped.
 * @param repeats Runs per server and history (the table shows medians).
 * @param durationMs How long each run sends.
 * @param raw Gets every run's result, by history.
 * @returns The Markdown table.
 * @throws {Error} When a server does not start or a load process fails.
 */
export async function acked(
  targets: TargetName[],
  repeats: number,
  durationMs: number,
  raw: Record<string, unknown>,
): Promise<string> {
  // The peers neither store nor acknowledge: only our server takes part.
  const ours = targets.filter((name) => name === "ours" || name === "baseline");
  const rows: string[][] = [];
  for (const kv of ACKED_KV) {
    const runs = new Map<TargetName, LoadResult[]>();
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const name of rotate(ours, repeat)) {
        // Under bench/results/ (git-ignored), the one folder the bench task may write.
        const dir = kv === "file"
          ? await Deno.makeTempDir({ dir: await resultsDir(), prefix: "kv_" })
          : undefined;
        try {
          await using target = await startTarget(name, {
            args: [`--kv-path=${dir ? `${dir}/chat.db` : ":memory:"}`],
          });
          const result = await runLoad(target.wsUrls, {
            serverPids: target.pids,
            mode: "json",
            receivers: ACKED_SENDERS,
            senders: ACKED_SENDERS,
            rate: 0,
            acked: true,
            durationMs,
          });
          say(
            `acked ${kv} ${name}: ${result.ackedPerSecond} acked/s, ack p99 ${result.ackLatencyMs.p99} ms, lost ${result.lost}`,
          );
          runs.set(name, [...runs.get(name) ?? [], result]);
        } finally {
          if (dir) await Deno.remove(dir, { recursive: true });
        }
      }
    }
    raw[`acked ${kv}`] = Object.fromEntries(runs);
    for (const name of ours) {
      const results = runs.get(name)!;
      rows.push([
        kv === "file" ? "file (temp dir)" : ":memory:",
        name,
        String(Math.round(median(results.map((r) => r.ackedPerSecond)))),
        fixed(median(results.map((r) => r.ackLatencyMs.p50)), 2),
        fixed(median(results.map((r) => r.ackLatencyMs.p99)), 2),
        String(Math.max(...results.map((r) => r.lost))),
        fixed(
          median(results.map((r) => r.serverCpuMs * 1000 / r.acked)),
          1,
        ),
      ]);
    }
  }
  return table([
    "history",
    "server",
    "acked msgs/s",
    "ack p50 ms",
    "ack p99 ms",
    "lost (worst)",
    "CPU µs/acked msg",
  ], rows);
}
