/**
 * `deno task bench`: every scenario against our server and the peers, the
 * servers interleaved within each step so machine drift hits all alike.
 * Prints Markdown tables and writes them, with the raw results as JSON, to
 * `bench/results/`.
 *
 * Flags: `--quick` (one repeat, shorter runs), `--repeats=N`,
 * `--duration=MS`, `--targets=ours,naive_deno,node_ws,bun,ours_redis` (plus
 * `baseline` when `BENCH_BASELINE_DIR` names another checkout),
 * `--scenarios=steady,ladder,idle,acked`, `--modes=plain,json`.
 *
 * `ours_redis` (two instances on one Redis, the load spread over both) runs
 * in the steady and ladder scenarios, where its CPU per delivery is the sum
 * over the instances and Redis; idle and acked measure one instance.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type LoadResult, runLoad } from "./run.ts";
import {
  isAvailable,
  startTarget,
  type TargetName,
  TARGETS,
} from "./servers.ts";

type Mode = "plain" | "json";

/** The steady scenarios: receivers × messages per second = 50,000 deliveries/s. */
const STEADY = [
  { receivers: 100, rate: 500 },
  { receivers: 1000, rate: 50 },
] as const;
/** Saturation ladder at 1,000 receivers, in messages per second. */
const LADDER_RATES = [50, 70, 100, 200, 300, 500, 700, 1000] as const;
const LADDER_RECEIVERS = 1000;
/** Held: no loss, no socket cut off, p99 within this bound. */
const LADDER_P99_LIMIT_MS = 250;
/**
 * Runs of a step before a server leaves the ladder: on this shared machine
 * one noisy run could end a ladder several steps early, so a step not held
 * is run once more, for every server alike.
 */
const LADDER_ATTEMPTS = 2;
const IDLE_CONNECTIONS = 10_000;
/** Targets the idle and acked scenarios skip: they measure one instance. */
const SCALE_OUT: readonly TargetName[] = ["ours_redis"];
/**
 * Acked scenario: this many `chat.v1` senders in one room, each waiting for
 * its `ack` before sending again (so every message is stored before the
 * next): enough concurrency for the group commit to matter, few enough
 * members that the fan-out (senders × messages) does not dominate.
 */
const ACKED_SENDERS = 100;
/** Where the acked scenario's server keeps history: in memory, and a file in a temporary folder. */
const ACKED_KV = ["memory", "file"] as const;

// deno-lint-ignore no-console
const say = console.log;

function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).toSorted((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[middle]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

async function measure(
  name: TargetName,
  mode: Mode,
  load: Omit<Parameters<typeof runLoad>[1], "serverPids" | "mode">,
): Promise<LoadResult> {
  await using target = await startTarget(name);
  return await runLoad(target.wsUrls, {
    ...load,
    serverPids: target.pids,
    mode,
  });
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(header),
    line(header.map(() => "---")),
    ...rows.map(line),
  ].join("\n");
}

async function steady(
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

async function ladder(
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

async function idle(
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

async function resultsDir(): Promise<string> {
  const dir = new URL("./results/", import.meta.url).pathname;
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

async function acked(
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

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean" },
      repeats: { type: "string" },
      duration: { type: "string" },
      targets: { type: "string" },
      scenarios: { type: "string", default: "steady,ladder,idle,acked" },
      modes: { type: "string", default: "plain,json" },
    },
  });
  const repeats = Number(values.repeats ?? (values.quick ? 1 : 3));
  const durationMs = Number(values.duration ?? (values.quick ? 3000 : 5000));
  const wanted = (values.targets?.split(",") ??
    TARGETS.filter((name) => name !== "baseline")) as TargetName[];
  const targets: TargetName[] = [];
  for (const name of wanted) {
    if (!TARGETS.includes(name)) {
      throw new TypeError(`Unknown target "${name}"`);
    }
    if (await isAvailable(name)) targets.push(name);
    else say(`Skipping ${name}: run bench/peers/install_peers.sh`);
  }
  const modes = values.modes.split(",") as Mode[];
  const scenarios = values.scenarios.split(",");
  const raw: Record<string, unknown> = {};
  const sections: string[] = [
    `# Benchmark results, ${new Date().toISOString()}`,
    "",
    `Deno ${Deno.version.deno}; ${repeats} repeat(s) of ${durationMs} ms per steady run (medians); servers: ${
      targets.join(", ")
    }.`,
  ];
  if (scenarios.includes("steady")) {
    sections.push(
      "",
      "## 50,000 deliveries/s",
      "",
      await steady(targets, modes, repeats, durationMs, raw),
    );
  }
  if (scenarios.includes("ladder")) {
    sections.push(
      "",
      `## Saturation ladder, ${LADDER_RECEIVERS} receivers (no loss, p99 ≤ ${LADDER_P99_LIMIT_MS} ms)`,
      "",
      await ladder(targets, modes, Math.min(durationMs, 3000), raw),
    );
  }
  if (scenarios.includes("idle")) {
    sections.push(
      "",
      `## ${IDLE_CONNECTIONS} idle connections`,
      "",
      await idle(
        targets.filter((name) => !SCALE_OUT.includes(name)),
        modes,
        raw,
      ),
    );
  }
  if (scenarios.includes("acked")) {
    sections.push(
      "",
      `## One room, ${ACKED_SENDERS} senders each waiting for its ack`,
      "",
      await acked(targets, repeats, durationMs, raw),
    );
  }
  const report = sections.join("\n") + "\n";
  say(`\n${report}`);
  const dir = new URL("./results/", import.meta.url);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(new URL("latest.md", dir), report);
  await Deno.writeTextFile(
    new URL("latest.json", dir),
    JSON.stringify(raw, null, 2),
  );
}

if (import.meta.main) {
  await main(Deno.args);
}
