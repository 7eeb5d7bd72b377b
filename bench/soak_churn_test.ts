/**
 * A short form of the churn scenario (`deno task soak` runs the long one),
 * against its own `deno run main.ts`: it asserts state and counts, and
 * docs/operations.md records the measured numbers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { churn } from "./soak_churn.ts";
import { withSoakServer } from "./soak_target.ts";

Deno.test("soak: churn returns connections, subscribers and descriptors to baseline", async () => {
  await withSoakServer([], async (target) => {
    const result = await churn(target, { cycles: 1000, concurrency: 20 });
    assert.equal(result.unexpectedCloses, 0);
    assert.equal(result.after.connections, 0);
    assert.equal(result.after.subscribers, 0);
    assert(
      result.after.fds <= result.before.fds + 2,
      `descriptors ${result.before.fds} → ${result.after.fds}`,
    );
    // The heap is measured too, but when V8 collects garbage is not ours to
    // decide: `deno task soak` reports it over 20,000 cycles instead.
  });
});
