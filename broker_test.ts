import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import {
  type BatchReceiver,
  MemoryBroker,
  SlowConsumerError,
} from "./broker.ts";
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

/** A receiver that takes every batch into `delivered` and never refuses one. */
function recordingReceiver(delivered: number[][]): BatchReceiver<number> {
  return {
    deliver(batch) {
      delivered.push([...batch]);
      return true;
    },
    resume: () => assert.fail("nothing was refused"),
  };
}

Deno.test("MemoryBroker hands an idle subscriber's batches to its receiver, once per turn, with no next() pending", async () => {
  await using broker = new MemoryBroker<number>();
  const controller = new AbortController();
  const delivered: number[][] = [];
  const subscription = broker.subscribe("room", {
    signal: controller.signal,
    receiver: recordingReceiver(delivered),
  });
  // Nothing queued: next() does not wait, and the receiver takes over.
  assert.deepEqual((await subscription.next()).value, []);
  for (let i = 0; i < 3; i++) await broker.publish("room", i);
  await endOfTurn();
  await broker.publish("room", 3);
  await endOfTurn();
  assert.deepEqual(delivered, [[0, 1, 2], [3]]);
  controller.abort();
  assert.deepEqual(await subscription.next(), { value: undefined, done: true });
});

Deno.test("MemoryBroker queues a batch its receiver refuses, calls resume(), and next() yields it in order", async () => {
  await using broker = new MemoryBroker<number>();
  let accepting = false;
  let resumed = 0;
  const subscription = broker.subscribe("room", {
    receiver: { deliver: () => accepting, resume: () => resumed++ },
  });
  assert.deepEqual((await subscription.next()).value, []);
  await broker.publish("room", 1);
  await broker.publish("room", 2);
  await endOfTurn();
  assert.equal(resumed, 1);
  assert.deepEqual((await subscription.next()).value, [1, 2]);
  accepting = true;
  await broker.publish("room", 3);
  // Not handed over directly until next() found nothing queued.
  assert.deepEqual((await subscription.next()).value, [3]);
  assert.deepEqual((await subscription.next()).value, []);
  await broker.publish("room", 4);
  await endOfTurn();
  assert.equal(resumed, 1);
  await subscription.return();
});

Deno.test("MemoryBroker still cuts off a subscriber whose receiver keeps refusing", async () => {
  await using broker = new MemoryBroker<number>();
  const cutOff: SlowConsumerError[] = [];
  const subscription = broker.subscribe("room", {
    maxQueueLength: 2,
    receiver: { deliver: () => false, resume() {} },
    onSlowConsumer: (error) => cutOff.push(error),
  });
  assert.deepEqual((await subscription.next()).value, []);
  await broker.publish("room", 1);
  await endOfTurn();
  // Refused and queued, and never read: the queue passes its bound.
  for (let i = 2; i <= 3; i++) await broker.publish("room", i);
  assert.equal(cutOff.length, 1);
  await assert.rejects(subscription.next(), SlowConsumerError);
});

Deno.test("MemoryBroker hands an idle subscriber's batch over at once when it reaches a quarter of its bound", async () => {
  await using broker = new MemoryBroker<number>();
  const controller = new AbortController();
  const delivered: number[][] = [];
  const subscription = broker.subscribe("room", {
    signal: controller.signal,
    maxQueueLength: 16,
    receiver: recordingReceiver(delivered),
  });
  assert.deepEqual((await subscription.next()).value, []);
  // Synchronous publishes: the end of the turn has not come yet.
  for (let i = 0; i < 5; i++) void broker.publish("room", i);
  assert.deepEqual(delivered, [[0, 1, 2, 3]]);
  await endOfTurn();
  assert.deepEqual(delivered, [[0, 1, 2, 3], [4]]);
  controller.abort();
  assert.deepEqual(await subscription.next(), { value: undefined, done: true });
});

Deno.test("MemoryBroker hands a subscriber that turns idle mid-turn only what was published after", async () => {
  await using broker = new MemoryBroker<number>();
  const controller = new AbortController();
  const delivered = new Map<string, number[][]>([["a", []], ["b", []]]);
  const options = (name: string) => ({
    signal: controller.signal,
    receiver: recordingReceiver(delivered.get(name)!),
  });
  const a = broker.subscribe("room", options("a"));
  const b = broker.subscribe("room", options("b"));
  // a has nothing queued: it now takes the room's batch directly.
  assert.deepEqual((await a.next()).value, []);
  await broker.publish("room", 1);
  // b had not read yet: 1 waits in its queue, and its generator yields it.
  assert.deepEqual((await b.next()).value, [1]);
  assert.deepEqual((await b.next()).value, []);
  await broker.publish("room", 2);
  await endOfTurn();
  assert.deepEqual(delivered.get("a"), [[1, 2]]);
  assert.deepEqual(delivered.get("b"), [[2]]);
  controller.abort();
  assert.deepEqual(await a.next(), { value: undefined, done: true });
  assert.deepEqual(await b.next(), { value: undefined, done: true });
});
