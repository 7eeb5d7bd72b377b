import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { MemoryBroker, SlowConsumerError } from "./broker.ts";
import type { Broadcast } from "./chat/events.ts";
import { KvHistory } from "./kv/history.ts";
import { brokerContract } from "./testing/broker_contract.ts";

/**
 * Resolves once this event-loop turn is over: after the broker's own
 * end-of-turn wake-up, which was scheduled first on the same queue.
 */
function endOfTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// One process is one instance: both sides of the pair are the same broker.
brokerContract("MemoryBroker", () => {
  const instance = {
    broker: new MemoryBroker<Broadcast>(),
    history: new KvHistory(Deno.openKv(":memory:")),
  };
  return Promise.resolve({
    a: instance,
    b: instance,
    async [Symbol.asyncDispose]() {
      await instance.broker.close();
      await instance.history.close();
    },
  });
});

Deno.test("MemoryBroker.publish() delivers in publish order, batching what queued", async () => {
  await using broker = new MemoryBroker<number>();
  const subscription = broker.subscribe("room");
  for (let i = 0; i < 5; i++) await broker.publish("room", i);
  assert.deepEqual((await subscription.next()).value, [0, 1, 2, 3, 4]);
  const next = subscription.next();
  await broker.publish("room", 5);
  assert.deepEqual((await next).value, [5]);
  await subscription.return();
});

Deno.test("MemoryBroker wakes a parked subscriber once for a burst published in one turn", async () => {
  await using broker = new MemoryBroker<number>();
  const subscription = broker.subscribe("room");
  const parked = subscription.next();
  // Awaiting each publish, as Chat does, must not split the burst.
  for (let i = 0; i < 5; i++) await broker.publish("room", i);
  assert.deepEqual((await parked).value, [0, 1, 2, 3, 4]);
  await subscription.return();
});

Deno.test("MemoryBroker wakes a parked subscriber for a lone message in the same turn", async () => {
  await using broker = new MemoryBroker<number>();
  const subscription = broker.subscribe("room");
  const parked = subscription.next();
  await broker.publish("room", 1);
  const { promise: timer, resolve } = Promise.withResolvers<"timer">();
  const id = setTimeout(() => resolve("timer"), 0);
  const first = await Promise.race([parked.then(() => "message"), timer]);
  clearTimeout(id);
  assert.equal(first, "message");
  assert.deepEqual((await parked).value, [1]);
  await subscription.return();
});

Deno.test("MemoryBroker subscription queues only the messages accept takes", async () => {
  await using broker = new MemoryBroker<number>();
  const subscription = broker.subscribe("room", {
    maxQueueLength: 2,
    accept: (message) => message % 2 === 0,
  });
  // Refused messages take no queue slot: four publishes, two queued.
  for (let i = 0; i < 4; i++) await broker.publish("room", i);
  assert.deepEqual((await subscription.next()).value, [0, 2]);
  const parked = subscription.next();
  await broker.publish("room", 5);
  await broker.publish("room", 6);
  assert.deepEqual((await parked).value, [6]);
  await subscription.return();
});

Deno.test("MemoryBroker hands a parked subscriber's batch to its receiver, once per turn", async () => {
  await using broker = new MemoryBroker<number>();
  const controller = new AbortController();
  const delivered: number[][] = [];
  const subscription = broker.subscribe("room", {
    signal: controller.signal,
    receiver: {
      deliver(batch) {
        delivered.push([...batch]);
        return true;
      },
    },
  });
  const parked = subscription.next();
  for (let i = 0; i < 3; i++) await broker.publish("room", i);
  await endOfTurn();
  await broker.publish("room", 3);
  await endOfTurn();
  assert.deepEqual(delivered, [[0, 1, 2], [3]]);
  // The generator stayed parked until the subscription ends.
  controller.abort();
  assert.deepEqual(await parked, { value: undefined, done: true });
});

Deno.test("MemoryBroker yields a batch its receiver refuses from the parked next(), in order", async () => {
  await using broker = new MemoryBroker<number>();
  let accepting = false;
  const subscription = broker.subscribe("room", {
    receiver: { deliver: () => accepting },
  });
  const parked = subscription.next();
  await broker.publish("room", 1);
  await broker.publish("room", 2);
  assert.deepEqual((await parked).value, [1, 2]);
  accepting = true;
  await broker.publish("room", 3);
  // Not parked: queued for the next next(), the receiver is not asked.
  assert.deepEqual((await subscription.next()).value, [3]);
  await subscription.return();
});

Deno.test("MemoryBroker still cuts off a subscriber whose receiver keeps refusing", async () => {
  await using broker = new MemoryBroker<number>();
  const cutOff: SlowConsumerError[] = [];
  const subscription = broker.subscribe("room", {
    maxQueueLength: 2,
    receiver: { deliver: () => false },
    onSlowConsumer: (error) => cutOff.push(error),
  });
  const parked = subscription.next();
  await broker.publish("room", 1);
  assert.deepEqual((await parked).value, [1]);
  for (let i = 2; i <= 4; i++) await broker.publish("room", i);
  assert.equal(cutOff.length, 1);
  await assert.rejects(subscription.next(), SlowConsumerError);
});

Deno.test("MemoryBroker wakes a parked subscriber at once when its queue reaches a quarter of its bound", async () => {
  await using broker = new MemoryBroker<number>();
  const controller = new AbortController();
  const delivered: number[][] = [];
  const subscription = broker.subscribe("room", {
    signal: controller.signal,
    maxQueueLength: 16,
    receiver: {
      deliver(batch) {
        delivered.push([...batch]);
        return true;
      },
    },
  });
  const parked = subscription.next();
  // Synchronous publishes: the end of the turn has not come yet.
  for (let i = 0; i < 5; i++) void broker.publish("room", i);
  assert.deepEqual(delivered, [[0, 1, 2, 3]]);
  await endOfTurn();
  assert.deepEqual(delivered, [[0, 1, 2, 3], [4]]);
  controller.abort();
  assert.deepEqual(await parked, { value: undefined, done: true });
});

Deno.test("MemoryBroker hands a subscriber that parks mid-turn only what was published after", async () => {
  await using broker = new MemoryBroker<number>();
  const controller = new AbortController();
  const delivered = new Map<string, number[][]>([["a", []], ["b", []]]);
  const options = (name: string) => ({
    signal: controller.signal,
    receiver: {
      deliver(batch: readonly number[]) {
        delivered.get(name)!.push([...batch]);
        return true;
      },
    },
  });
  const a = broker.subscribe("room", options("a"));
  const b = broker.subscribe("room", options("b"));
  const parkedA = a.next();
  // Let a park: it now takes the room's batch directly.
  await Promise.resolve();
  await broker.publish("room", 1);
  // b was not parked: 1 waits in its queue, and its generator yields it.
  assert.deepEqual((await b.next()).value, [1]);
  const parkedB = b.next();
  await broker.publish("room", 2);
  await endOfTurn();
  assert.deepEqual(delivered.get("a"), [[1, 2]]);
  assert.deepEqual(delivered.get("b"), [[2]]);
  controller.abort();
  assert.deepEqual(await parkedA, { value: undefined, done: true });
  assert.deepEqual(await parkedB, { value: undefined, done: true });
});
