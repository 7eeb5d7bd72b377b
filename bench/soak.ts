/**
 * Fault and load scenarios against a running server on loopback: churn,
 * slow consumers, a steady soak and abrupt client death. Their tests run
 * short forms in CI; `deno task soak` runs the long forms, each against a
 * fresh `deno run main.ts`, and prints the numbers that
 * `docs/operations.md` records.
 *
 * @module
 */
import { abruptDeath } from "./soak_abrupt_death.ts";
import { churn } from "./soak_churn.ts";
import { slowConsumers } from "./soak_slow_consumers.ts";
import { steadySoak } from "./soak_steady.ts";
import { MIB, type SoakTarget, withSoakServer } from "./soak_target.ts";

function withServer<T>(
  args: string[],
  run: (target: SoakTarget) => Promise<T>,
): Promise<T> {
  // Every load client connects from 127.0.0.1: no per-address cap.
  return withSoakServer(["--max-connections-per-address", "0", ...args], run);
}

function mib(bytes: number): string {
  return (bytes / MIB).toFixed(1);
}

if (import.meta.main) {
  const seconds = Number(Deno.env.get("SOAK_SECONDS") ?? 300);
  const print = (title: string, value: unknown) =>
    Deno.stdout.writeSync(
      new TextEncoder().encode(
        `## ${title}\n${JSON.stringify(value, null, 1)}\n`,
      ),
    );
  // `deno task soak churn slow` runs only those scenarios.
  const wanted = (name: string) =>
    Deno.args.length === 0 || Deno.args.includes(name);
  // Two rounds on one server: what the first leaves behind should not grow
  // in the second if it is warm-up and storage rather than a leak.
  if (wanted("churn")) {
    await withServer(["--max-connections", "20000"], async (target) => {
      for (const round of [1, 2]) {
        const churned = await churn(target, {
          cycles: 20_000,
          concurrency: 50,
        });
        print(`churn round ${round}`, {
          ...churned,
          rssMiB: [mib(churned.before.rssBytes), mib(churned.after.rssBytes)],
          heapMiB: [
            mib(churned.before.heapUsedBytes),
            mib(churned.after.heapUsedBytes),
          ],
        });
      }
    });
  }
  if (wanted("slow")) {
    const slow = await withServer(
      [],
      (target) =>
        slowConsumers(target, {
          clients: 1000,
          rooms: 20,
          stalled: 100,
          ratePerRoom: 10,
          textBytes: 1024,
          seconds: 60,
          stalledSeconds: 150,
        }),
    );
    print("slow consumers", {
      ...slow,
      rssMiB: [mib(slow.rssBeforeBytes), mib(slow.rssPeakBytes)],
    });
  }
  if (wanted("steady")) {
    const steady = await withServer(
      [],
      (target) =>
        steadySoak(target, {
          clients: 2000,
          rooms: 40,
          ratePerRoom: 5,
          textBytes: 128,
          seconds,
          sampleSeconds: 10,
        }),
    );
    print("steady soak", {
      ...steady,
      samples: steady.samples.map(([t, rss, heap]) => [
        Math.round(t),
        mib(rss),
        mib(heap),
      ]),
    });
  }
  if (wanted("death")) {
    const death = await withServer(
      ["--idle-timeout", "5"],
      (target) => abruptDeath(target, { peers: 500, idleTimeoutSeconds: 5 }),
    );
    print("abrupt death", death);
  }
}
