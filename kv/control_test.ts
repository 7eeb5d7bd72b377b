import assert from "node:assert/strict";
import { BusMetrics } from "../chat/bus_metrics.ts";
import type { ControlEvent } from "../chat/control.ts";
import { withTimeout } from "../testing/async.ts";
import { setLogLevel } from "../observability/log.ts";
import { KvControl } from "./control.ts";

/** A control channel on its own handle of the database at `path`, and what its listener heard. */
async function isolate(path: string) {
  const kv = await Deno.openKv(path);
  const metrics = new BusMetrics();
  const control = new KvControl(kv, { metrics });
  const heard: ControlEvent[] = [];
  let next = Promise.withResolvers<void>();
  control.listen({
    event(event) {
      heard.push(event);
      next.resolve();
    },
  });
  await control.ready;
  return {
    kv,
    control,
    heard,
    metrics,
    next: () => (next = Promise.withResolvers()).promise,
    async [Symbol.asyncDispose]() {
      await control.close();
      kv.close();
    },
  };
}

async function withDatabase(fn: (path: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(`${dir}/chat.db`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("KvControl delivers an event to every isolate once, the publisher's included", async () => {
  await withDatabase(async (path) => {
    await using a = await isolate(path);
    await using b = await isolate(path);
    const event: ControlEvent = {
      type: "ban",
      userId: "bo",
      room: null,
      until: null,
    };
    const atB = b.next();
    await a.control.publish(event);
    await withTimeout(atB, "the event at the other isolate");
    const second = b.next();
    await a.control.publish({ type: "disconnect", userId: "cy" });
    await withTimeout(second, "the second event");
    assert.deepEqual(a.heard, [event, { type: "disconnect", userId: "cy" }]);
    assert.deepEqual(b.heard, a.heard);
  });
});

Deno.test("KvControl drops events in the log that are not valid", async () => {
  await withDatabase(async (path) => {
    await using a = await isolate(path);
    setLogLevel("error");
    using _ = { [Symbol.dispose]: () => setLogLevel("info") };
    const heard = a.next();
    await a.kv.atomic()
      .set(["control_head"], 2)
      .set(["control_log", 1], {
        value: { type: "kick", userId: "bo" },
        source: "x",
      })
      .set(["control_log", 2], {
        value: { type: "kick", userId: "bo", room: "general" },
        source: "x",
      })
      .commit();
    await withTimeout(heard, "the valid event");
    assert.deepEqual(a.heard, [{
      type: "kick",
      userId: "bo",
      room: "general",
    }]);
    assert.equal(a.metrics.dropped.value({ reason: "shape" }), 1);
  });
});
