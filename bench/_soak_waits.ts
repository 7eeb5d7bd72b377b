/**
 * Waiting on a server under soak, for the scenarios: polling a condition,
 * and waiting until the server holds an exact number of connections.
 *
 * @module
 */
import { setTimeout as delay } from "node:timers/promises";
import { snapshot, type SoakTarget } from "./soak_target.ts";

/**
 * Polls `condition` every 50 ms.
 *
 * @param condition Checked at once, then after each pause.
 * @param what Named in the timeout error.
 * @param ms Longest wait.
 * @returns Milliseconds waited.
 * @throws {Error} When `condition` does not hold within `ms`.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms: number,
): Promise<number> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > ms) {
      throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    }
    await delay(50);
  }
  return performance.now() - started;
}

/**
 * Waits until the server has exactly `connections` connections and their subscribers.
 *
 * @param target The server.
 * @param connections Connections expected.
 * @param subscribers Subscribers expected.
 * @param ms Longest wait.
 * @returns Milliseconds waited.
 * @throws {Error} When the server does not settle within `ms`.
 */
export function settle(
  target: SoakTarget,
  connections: number,
  subscribers: number,
  ms = 30_000,
): Promise<number> {
  return until(
    async () => {
      const now = await snapshot(target);
      return now.connections === connections &&
        now.subscribers === subscribers;
    },
    `${connections} connections and ${subscribers} subscribers`,
    ms,
  );
}
