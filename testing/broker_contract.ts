/**
 * The behaviour every {@linkcode Broker} of the chat must have, as tests
 * that `broker_test.ts`, `kv/broker_test.ts` and `redis/broker_test.ts` run
 * against their transport.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type Broker,
  BrokerClosedError,
  SlowConsumerError,
  type Subscription,
} from "../broker.ts";
import {
  type Broadcast,
  broadcastOf,
  type ChatMessage,
  presenceBroadcast,
} from "../chat/events.ts";
import type { History } from "../chat/history.ts";
import { withTimeout } from "./async.ts";
import { contractTests } from "./contract.ts";

/** One instance of the chat: its broker and the history it stores to. */
export interface BrokerInstance {
  broker: Broker<Broadcast>;
  history: History;
}

/**
 * Two instances sharing one fresh, empty transport and store; disposing it
 * releases everything they used. A broker that lives in one process gives
 * the same instance twice.
 */
export interface BrokerPair extends AsyncDisposable {
  a: BrokerInstance;
  b: BrokerInstance;
}

/** Opens two instances over one fresh transport and store. */
export type OpenBrokers = () => Promise<BrokerPair>;

/** Stores a message and then publishes it, as the chat does. */
async function post(
  { broker, history }: BrokerInstance,
  room: string,
  text: string,
): Promise<ChatMessage> {
  const [stored] = await history.append(room, [{
    userId: "u",
    user: "u",
    text,
  }]);
  await broker.publish(room, broadcastOf(stored!.message));
  return stored!.message;
}

/** The next `count` events of a subscription, whatever their batches. */
async function take(
  subscription: Subscription<Broadcast>,
  count: number,
): Promise<Broadcast[]> {
  const taken: Broadcast[] = [];
  while (taken.length < count) {
    const { value, done } = await withTimeout(
      subscription.next(),
      `event ${taken.length + 1} of ${count}`,
    );
    assert(!done, `subscription ended after ${taken.length} of ${count}`);
    taken.push(...value);
  }
  assert.equal(taken.length, count, "more events than expected");
  return taken;
}

/** A subscription to `room` on `instance`, ready for what is published next. */
async function subscribed(
  { broker }: BrokerInstance,
  room: string,
  options?: Parameters<Broker<Broadcast>["subscribe"]>[1],
): Promise<Subscription<Broadcast>> {
  const subscription = broker.subscribe(room, options);
  await broker.ready?.(room);
  return subscription;
}

function texts(events: Broadcast[]): string[] {
  return events.map((event) => JSON.parse(event.json).text);
}

/**
 * Registers the contract's tests for one broker.
 *
 * @param name Class name, used in the test names.
 * @param open Opens two fresh instances for each test.
 * @param ignore Skips the tests when the broker cannot run here.
 */
export function brokerContract(
  name: string,
  open: OpenBrokers,
  ignore = false,
): void {
  const test = contractTests(name, ignore);

  test("subscribe() counts the subscriber at once, before the first next()", async () => {
    await using pair = await open();
    const { broker } = pair.a;
    const subscription = broker.subscribe("room");
    assert.equal(broker.subscriberCount("room"), 1);
    assert.equal(broker.subscriberCount(), 1);
    await broker.ready?.("room");
    await post(pair.a, "room", "hi");
    assert.deepEqual(texts(await take(subscription, 1)), ["hi"]);
    await subscription.return();
    assert.equal(broker.subscriberCount(), 0);
  });

  test("delivers what both instances post at once to both instances' subscribers, in id order", async () => {
    await using pair = await open();
    const onA = await subscribed(pair.a, "room");
    const onB = await subscribed(pair.b, "room");
    // Each instance posts one message after another, as the chat does in a
    // room, while the other does the same: the ids interleave.
    const instances = [...new Set([pair.a, pair.b])];
    const posted = (await Promise.all(instances.map(async (instance, n) => {
      const messages = [];
      for (let i = 0; i < 20 / instances.length; i++) {
        messages.push(await post(instance, "room", `${n}.${i}`));
      }
      return messages;
    }))).flat().sort((x, y) => x.id - y.id);
    const ids = posted.map((message) => message.id);
    assert.deepEqual(ids, Array.from({ length: 20 }, (_, i) => i + 1));
    for (const subscription of [onA, onB]) {
      const received = await take(subscription, 20);
      assert.deepEqual(received.map((event) => event.id), ids);
      assert.deepEqual(texts(received), posted.map((message) => message.text));
      await subscription.return();
    }
  });

  test("carries an event without an id to the other instance once", async () => {
    await using pair = await open();
    const onB = await subscribed(pair.b, "room");
    const event = presenceBroadcast({
      type: "presence",
      room: "room",
      joined: [{ id: "ada", name: "ada" }],
      left: [],
    });
    await pair.a.broker.publish("room", event);
    await post(pair.a, "room", "after");
    const [presence, message] = await take(onB, 2);
    assert.deepEqual([presence?.json, presence?.id], [event.json, null]);
    assert.deepEqual(message && texts([message]), ["after"]);
    await onB.return();
  });

  test("publish() reaches only the room's subscribers", async () => {
    await using pair = await open();
    const x = await subscribed(pair.b, "x");
    const y = await subscribed(pair.b, "y");
    await post(pair.a, "x", "x1");
    await post(pair.a, "y", "y1");
    await post(pair.a, "x", "x2");
    assert.deepEqual(texts(await take(x, 2)), ["x1", "x2"]);
    assert.deepEqual(texts(await take(y, 1)), ["y1"]);
    await x.return();
    await y.return();
  });

  test("a subscription's signal ends its parked next() and removes it", async () => {
    await using pair = await open();
    const { broker } = pair.a;
    const controller = new AbortController();
    const subscription = await subscribed(pair.a, "room", {
      signal: controller.signal,
    });
    const parked = subscription.next();
    const early = new AbortController();
    broker.subscribe("room", { signal: early.signal });
    early.abort();
    assert.equal(broker.subscriberCount("room"), 1, "aborted unread");
    controller.abort();
    assert.equal(broker.subscriberCount("room"), 0);
    assert.deepEqual(await parked, { value: undefined, done: true });
  });

  test("cuts off a subscriber whose queue overflows, and only it", async () => {
    await using pair = await open();
    const cutOff: SlowConsumerError[] = [];
    const slow = await subscribed(pair.a, "room", {
      maxQueueLength: 2,
      onSlowConsumer: (error) => cutOff.push(error),
    });
    const fast = await subscribed(pair.a, "room");
    for (let i = 1; i <= 2; i++) await post(pair.a, "room", `m${i}`);
    assert.equal(cutOff.length, 0);
    await post(pair.a, "room", "m3");
    assert.equal(cutOff.length, 1);
    assert.equal(pair.a.broker.subscriberCount("room"), 1);
    await assert.rejects(slow.next(), SlowConsumerError);
    assert.deepEqual(texts(await take(fast, 3)), ["m1", "m2", "m3"]);
    await fast.return();
  });

  test("close() ends subscriptions and refuses further use, once or twice", async () => {
    await using pair = await open();
    const { broker } = pair.a;
    const subscription = await subscribed(pair.a, "room");
    const parked = subscription.next();
    await broker.close();
    await broker.close();
    assert.deepEqual(await parked, { value: undefined, done: true });
    await assert.rejects(
      broker.publish(
        "room",
        presenceBroadcast({
          type: "presence",
          room: "room",
          joined: [],
          left: [],
        }),
      ),
      BrokerClosedError,
    );
    assert.throws(() => broker.subscribe("room"), BrokerClosedError);
  });
}
