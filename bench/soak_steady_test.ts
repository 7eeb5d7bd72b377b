/**
 * A short form of the steady soak (`deno task soak` runs the long one),
 * against its own `deno run main.ts`: it asserts counts, and
 * docs/operations.md records the measured numbers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { steadySoak } from "./soak_steady.ts";
import { withSoakServer } from "./soak_target.ts";

Deno.test("soak: steady traffic to 200 clients loses no message", async () => {
  await withSoakServer([], async (target) => {
    const result = await steadySoak(target, {
      clients: 200,
      rooms: 10,
      ratePerRoom: 10,
      textBytes: 128,
      seconds: 4,
      sampleSeconds: 1,
    });
    assert(result.sent > 0);
    assert.equal(result.lost, 0);
    assert.equal(result.outOfSequence, 0);
    assert.equal(result.duplicates, 0);
    assert.deepEqual(result.errors, {});
    assert.deepEqual(result.unexpectedCloses, {});
  });
});
