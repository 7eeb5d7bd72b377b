import assert from "node:assert/strict";
import type { ControlEvent } from "../chat/control.ts";
import { withTimeout } from "../testing/async.ts";
import { type RedisServer, SKIP_REDIS, startRedis } from "../testing/redis.ts";
import { BusMetrics } from "../chat/bus_metrics.ts";
import { setLogLevel } from "../observability/log.ts";
import { connectRedis } from "./client.ts";
import { DEFAULT_CONTROL_CHANNEL, RedisControl } from "./control.ts";

/** One instance's control channel on its own connections, and what its listener heard. */
async function instance(redis: RedisServer) {
  const connections = connectRedis(redis.url);
  const metrics = new BusMetrics();
  const control = new RedisControl({ ...connections, metrics });
  const heard: ControlEvent[] = [];
  let heardNext = Promise.withResolvers<void>();
  const missed = Promise.withResolvers<void>();
  control.listen({
    event(event) {
      heard.push(event);
      heardNext.resolve();
    },
    missed: () => missed.resolve(),
  });
  // One connection answers in order: once the subscriber answers a PING,
  // the SUBSCRIBE has been answered too.
  await withTimeout(connections.subscriber.ping(), "the subscriber");
  // The command connection refuses commands until it is ready.
  const { client } = connections;
  if (!client.isReady) {
    const ready = Promise.withResolvers<void>();
    client.once("ready", ready.resolve);
    await withTimeout(ready.promise, "the command connection");
  }
  return {
    control,
    heard,
    metrics,
    client: connections.client,
    /** Resolves at the next event heard. */
    next: () => (heardNext = Promise.withResolvers()).promise,
    /** Resolves when the listener is told events may have been missed. */
    missed: () => missed.promise,
    async [Symbol.asyncDispose]() {
      await control.close();
      connections[Symbol.dispose]();
    },
  };
}

Deno.test({
  name:
    "RedisControl delivers an event to every instance once, the publisher's included",
  ignore: SKIP_REDIS,
  async fn() {
    await using redis = await startRedis();
    await using a = await instance(redis);
    await using b = await instance(redis);
    const event: ControlEvent = { type: "kick", userId: "bo", room: "general" };
    const atB = b.next();
    await a.control.publish(event);
    await withTimeout(atB, "the event at the other instance");
    // A second event behind the first proves no echo of it is coming.
    const second = b.next();
    await a.control.publish({ type: "disconnect", userId: "cy" });
    await withTimeout(second, "the second event");
    assert.deepEqual(a.heard, [event, { type: "disconnect", userId: "cy" }]);
    assert.deepEqual(b.heard, a.heard);
  },
});

Deno.test({
  name: "RedisControl drops envelopes that are not valid events",
  ignore: SKIP_REDIS,
  async fn() {
    await using redis = await startRedis();
    await using a = await instance(redis);
    // Each drop is logged, as it should be; not here.
    setLogLevel("error");
    using _ = { [Symbol.dispose]: () => setLogLevel("info") };
    for (
      const raw of [
        "not json",
        JSON.stringify({ from: "x", event: { type: "kick", userId: "bo" } }),
        JSON.stringify({ from: "x", event: { type: "drop_tables" } }),
        JSON.stringify({
          from: "x",
          event: { type: "ban", userId: "x".repeat(2000), room: null },
        }),
      ]
    ) {
      await a.client.publish(DEFAULT_CONTROL_CHANNEL, raw);
    }
    const valid = a.next();
    await a.client.publish(
      DEFAULT_CONTROL_CHANNEL,
      JSON.stringify({
        from: "x",
        event: { type: "disconnect", userId: "bo" },
      }),
    );
    await withTimeout(valid, "the valid event");
    assert.deepEqual(a.heard, [{ type: "disconnect", userId: "bo" }]);
    assert.equal(a.metrics.dropped.value({ reason: "json" }), 1);
    assert.equal(a.metrics.dropped.value({ reason: "shape" }), 2);
    assert.equal(a.metrics.dropped.value({ reason: "size" }), 1);
  },
});

Deno.test({
  name:
    "RedisControl tells its listener events may have been missed once Redis is back",
  ignore: SKIP_REDIS,
  async fn() {
    await using redis = await startRedis();
    await using a = await instance(redis);
    await using b = await instance(redis);
    // The clients log the lost link, as they should; not here.
    setLogLevel("error");
    using _ = { [Symbol.dispose]: () => setLogLevel("info") };
    await redis.restart();
    await withTimeout(
      Promise.all([a.missed(), b.missed()]),
      "the missed-events notices",
    );
    // The command connection may still be reconnecting: publish until it can.
    const heard = b.next();
    await withTimeout(
      (async () => {
        while (true) {
          try {
            return await a.control.publish({
              type: "disconnect",
              userId: "bo",
            });
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
      })(),
      "a publish after the restart",
    );
    await withTimeout(heard, "the event at the other instance");
  },
});
