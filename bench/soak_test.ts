/**
 * Short forms of the soak scenarios (`deno task soak` runs the long ones).
 * Each runs against its own `deno run main.ts`. The assertions are about
 * state and counts; timings are bounded loosely enough for a busy 2-core
 * machine, and the measured numbers belong in docs/operations.md.
 */
import assert from "node:assert/strict";
import { abruptDeath } from "./soak_abrupt_death.ts";
import { churn } from "./soak_churn.ts";
import { slowConsumers } from "./soak_slow_consumers.ts";
import { steadySoak } from "./soak_steady.ts";
import { MIB, withSoakServer } from "./soak_target.ts";

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
