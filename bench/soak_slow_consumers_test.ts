/**
 * A short form of the slow-consumer scenario (`deno task soak` runs the long
 * one), against its own `deno run main.ts`. The assertions are about state
 * and counts; memory is bounded loosely enough for a busy 2-core machine,
 * and docs/operations.md records the measured numbers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { slowConsumers } from "./soak_slow_consumers.ts";
import { MIB, withSoakServer } from "./soak_target.ts";

Deno.test("soak: stalled consumers are cut off while readers lose nothing", async () => {
  await withSoakServer(
    ["--max-buffered-bytes", "65536", "--max-queue-length", "64"],
    async (target) => {
      const result = await slowConsumers(target, {
        clients: 100,
        rooms: 5,
        stalled: 10,
        ratePerRoom: 100,
        textBytes: 4000,
        seconds: 8,
        stalledSeconds: 8,
      });
      assert.equal(result.cutOff, 10);
      assert.equal(result.cutOffAsSlow, 10);
      assert.deepEqual(result.unexpectedCloses, {});
      assert.equal(result.lost, 0);
      assert.equal(result.outOfSequence, 0);
      assert.equal(result.duplicates, 0);
      assert.deepEqual(result.errors, {});
      assert(
        result.rssPeakBytes < result.rssBeforeBytes + 256 * MIB,
        `RSS ${result.rssBeforeBytes} → ${result.rssPeakBytes}`,
      );
    },
  );
});
