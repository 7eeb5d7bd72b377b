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
import { isAvailable, type TargetName, TARGETS } from "./servers.ts";
import { type Mode, say } from "./_scenario_common.ts";
import { steady } from "./_steady.ts";
import { ladder, LADDER_P99_LIMIT_MS, LADDER_RECEIVERS } from "./_ladder.ts";
import { idle, IDLE_CONNECTIONS } from "./_idle.ts";
import { acked, ACKED_SENDERS } from "./_acked.ts";

/** Targets the idle and acked scenarios skip: they measure one instance. */
const SCALE_OUT: readonly TargetName[] = ["ours_redis"];

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
