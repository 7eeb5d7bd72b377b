/**
 * The churn scenario: clients connect, send one message and leave, many at
 * once, and the server should end where it started.
 *
 * @module
 */
import { LoadClient, LoadStats, openFds } from "./soak_clients.ts";
import { type Snapshot, snapshot, type SoakTarget } from "./soak_target.ts";
import { settle, until } from "./_soak_waits.ts";

/** Options and results of {@linkcode churn}. */
export interface ChurnResult {
  cycles: number;
  seconds: number;
  before: Snapshot;
  after: Snapshot;
  unexpectedCloses: number;
}

/**
 * Connect, join, send one message, wait for its ack, disconnect: `cycles`
 * times, `concurrency` at once. Measures the server before (after a
 * warm-up) and after, once everything has closed.
 *
 * @param target The server.
 * @param options Cycles, clients at once, and rooms to spread them over (10 by default).
 * @returns The server before and after, and closes the clients did not ask for.
 */
export async function churn(
  target: SoakTarget,
  options: { cycles: number; concurrency: number; rooms?: number },
): Promise<ChurnResult> {
  const { cycles, concurrency, rooms = 10 } = options;
  const stats = new LoadStats();
  stats.measuredFrom = Infinity;
  let next = 0;
  const run = async (total: number) => {
    while (next < total) {
      const index = next++;
      const client = await LoadClient.open(
        target.wsUrl,
        `churn${index}`,
        `churn-${index % rooms}`,
        stats,
      );
      client.send();
      await client.acked(1);
      await client.close();
    }
  };
  const warmUp = Math.min(200, Math.ceil(cycles / 10));
  await Promise.all(Array.from({ length: concurrency }, () => run(warmUp)));
  await settle(target, 0, 0);
  const before = await snapshot(target);
  next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, () => run(cycles)));
  const seconds = (performance.now() - started) / 1000;
  await settle(target, 0, 0);
  // A socket's descriptor closes a moment after its close event.
  await until(
    async () => (await openFds(target.pid)) <= before.fds,
    "descriptors to return to baseline",
    5000,
  ).catch(() => {});
  const after = await snapshot(target);
  const unexpectedCloses = [...stats.unexpectedCloses.values()]
    .reduce((a, b) => a + b, 0);
  return { cycles, seconds, before, after, unexpectedCloses };
}
