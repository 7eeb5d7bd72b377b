/**
 * A short form of the abrupt-death scenario (`deno task soak` runs the long
 * one), against its own `deno run main.ts`. Timings are bounded loosely
 * enough for a busy 2-core machine, and docs/operations.md records the
 * measured numbers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { abruptDeath } from "./soak_abrupt_death.ts";
import { withSoakServer } from "./soak_target.ts";

Deno.test("soak: reset and silent clients are dropped within the idle timeout", async () => {
  await withSoakServer(["--idle-timeout", "2"], async (target) => {
    const result = await abruptDeath(target, {
      peers: 50,
      idleTimeoutSeconds: 2,
    });
    // A reset is seen at once; a silent peer after a ping goes unanswered.
    assert(result.resetCleanupMs < 2000, `reset: ${result.resetCleanupMs} ms`);
    assert(
      result.silentCleanupMs < 3 * 2000 + 2000,
      `silent: ${result.silentCleanupMs} ms`,
    );
  });
});
