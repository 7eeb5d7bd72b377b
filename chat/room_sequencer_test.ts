import assert from "node:assert/strict";
import type { Subscription } from "../broker.ts";
import { KvHistory } from "../kv/history.ts";
import { withTimeout } from "../testing/async.ts";
import { type Broadcast, broadcastOf, presenceBroadcast } from "./events.ts";
import { CATCH_UP_PAGE, RoomSequencer } from "./room_sequencer.ts";

async function store(history: KvHistory, count: number) {
  const drafts = Array.from({ length: count }, (_, i) => ({
    userId: "ada",
    user: "ada",
    text: `m${i}`,
  }));
  return (await history.append("r", drafts)).map((s) => s.message);
}

async function take(
  subscription: Subscription<Broadcast>,
  count: number,
): Promise<(number | null)[]> {
  const ids: (number | null)[] = [];
  while (ids.length < count) {
    const { value } = await subscription.next();
    ids.push(...value!.map((broadcast) => broadcast.id));
  }
  return ids;
}

/** The next `count` events of a subscription, decoded. */
async function takeEvents(
  subscription: Subscription<Broadcast>,
  count: number,
): Promise<Record<string, unknown>[]> {
  const events = [];
  while (events.length < count) {
    const { value } = await subscription.next();
    events.push(...value!.map((broadcast) => JSON.parse(broadcast.json)));
  }
  return events;
}

Deno.test("RoomSequencer.ready() starts at the head: older ids are dropped, newer delivered", async () => {
  await using history = new KvHistory(await Deno.openKv(":memory:"));
  await using sequencer = new RoomSequencer(history, {
    sweepIntervalMs: 0,
  });
  const [, second] = await store(history, 2);
  const subscription = sequencer.subscribe("r");
  await sequencer.ready("r");
  sequencer.receive("r", broadcastOf(second!));
  const [third] = await store(history, 1);
  sequencer.receive("r", broadcastOf(third!));
  sequencer.receive("r", broadcastOf(third!));
  assert.deepEqual(await take(subscription, 1), [3]);
  await subscription.return();
});

Deno.test("RoomSequencer.receive() fills a gap from the log and passes presence through", async () => {
  await using history = new KvHistory(await Deno.openKv(":memory:"));
  await using sequencer = new RoomSequencer(history, {
    sweepIntervalMs: 0,
  });
  const subscription = sequencer.subscribe("r");
  await sequencer.ready("r");
  const messages = await store(history, 3);
  sequencer.receive(
    "r",
    presenceBroadcast({
      type: "presence",
      room: "r",
      joined: [{ id: "bo", name: "bo" }],
      left: [],
    }),
  );
  sequencer.receive("r", broadcastOf(messages[2]!));
  assert.deepEqual(await take(subscription, 4), [null, 1, 2, 3]);
  sequencer.receive("r", broadcastOf(messages[0]!));
  const [fourth] = await store(history, 1);
  sequencer.receive("r", broadcastOf(fourth!));
  assert.deepEqual(await take(subscription, 1), [4]);
  await subscription.return();
});

Deno.test("RoomSequencer.catchUp() delivers a gap of several pages in order, each once", async () => {
  await using history = new KvHistory(await Deno.openKv(":memory:"));
  await using sequencer = new RoomSequencer(history, {
    sweepIntervalMs: 0,
  });
  const subscription = sequencer.subscribe("r");
  await sequencer.ready("r");
  const messages = await store(history, CATCH_UP_PAGE * 2 + 5);
  sequencer.receive("r", broadcastOf(messages.at(-1)!));
  sequencer.catchUp();
  assert.deepEqual(
    await take(subscription, messages.length),
    messages.map((message) => message.id),
  );
  await subscription.return();
});

Deno.test("RoomSequencer.catchUp() hands a long gap over as fast as a small queue takes it", async () => {
  await using history = new KvHistory(await Deno.openKv(":memory:"));
  await using sequencer = new RoomSequencer(history, {
    sweepIntervalMs: 0,
  });
  const subscription = sequencer.subscribe("r", { maxQueueLength: 8 });
  await sequencer.ready("r");
  const messages = await store(history, 250);
  sequencer.catchUp();
  // Without pacing, the first page would overflow the queue of 8 at once
  // and the subscription would throw SlowConsumerError.
  assert.deepEqual(
    await take(subscription, messages.length),
    messages.map((message) => message.id),
  );
  await subscription.return();
});

Deno.test("RoomSequencer.catchUp() does not wait for a subscriber that takes nothing", async () => {
  await using history = new KvHistory(await Deno.openKv(":memory:"));
  await using sequencer = new RoomSequencer(history, {
    sweepIntervalMs: 0,
    catchUpStallMs: 20,
  });
  const reader = sequencer.subscribe("r", { maxQueueLength: 8 });
  const cutOff = Promise.withResolvers<void>();
  const stalled = sequencer.subscribe("r", {
    maxQueueLength: 8,
    onSlowConsumer: () => cutOff.resolve(),
  });
  await sequencer.ready("r");
  const messages = await store(history, 40);
  sequencer.catchUp();
  assert.deepEqual(
    await withTimeout(take(reader, messages.length), "the reader's messages"),
    messages.map((message) => message.id),
  );
  await withTimeout(cutOff.promise, "the stalled subscriber's cut-off");
  await reader.return();
  await stalled.return();
});

Deno.test("RoomSequencer delivers a reset, then the new epoch's messages, when the log's epoch changes", async () => {
  await using history = new KvHistory(await Deno.openKv(":memory:"));
  await using sequencer = new RoomSequencer(history, { sweepIntervalMs: 0 });
  const subscription = sequencer.subscribe("r");
  await sequencer.ready("r");
  const [first] = await history.append("r", [{
    userId: "ada",
    user: "ada",
    text: "old",
  }]);
  sequencer.receive("r", broadcastOf(first!.message, first!.epoch));
  assert.deepEqual(await take(subscription, 1), [1]);
  // The store found itself behind: another epoch, whose log is resent.
  const renewed = await history.position("r", { epoch: first!.epoch, head: 9 });
  const [next] = await history.append("r", [{
    userId: "ada",
    user: "ada",
    text: "new",
  }]);
  assert.equal(next!.epoch, renewed.epoch);
  sequencer.receive("r", broadcastOf(next!.message, next!.epoch));
  const events = await takeEvents(subscription, 3);
  assert.deepEqual(
    events.map((event) => [event.type, event.id ?? event.epoch]),
    [
      ["reset", renewed.epoch],
      ["message", 1],
      ["message", 2],
    ],
  );
  await subscription.return();
});

Deno.test("RoomSequencer.sweep() notices a log that went back below what was delivered", async () => {
  const kv = await Deno.openKv(":memory:");
  await using history = new KvHistory(kv);
  await using sequencer = new RoomSequencer(history, { sweepIntervalMs: 0 });
  const subscription = sequencer.subscribe("r");
  await sequencer.ready("r");
  const messages = await store(history, 3);
  for (const message of messages) sequencer.receive("r", broadcastOf(message));
  assert.deepEqual(await take(subscription, 3), [1, 2, 3]);
  // A restore from an older copy: the head is back at 1, the epoch kept.
  await kv.atomic().set(["head", "r"], 1).delete(["msg", "r", 2])
    .delete(["msg", "r", 3]).commit();
  const [reused] = await history.append("r", [{
    userId: "ada",
    user: "ada",
    text: "again",
  }]);
  assert.equal(reused!.message.id, 2);
  sequencer.receive("r", broadcastOf(reused!.message, reused!.epoch));
  await sequencer.sweep();
  const events = await takeEvents(subscription, 3);
  assert.deepEqual(events.map((event) => event.type), [
    "reset",
    "message",
    "message",
  ]);
  assert.deepEqual(events.slice(1).map((event) => event.text), ["m0", "again"]);
  await subscription.return();
});

Deno.test("RoomSequencer forgets a room when its last subscriber aborts", async () => {
  await using history = new KvHistory(await Deno.openKv(":memory:"));
  const deactivated: string[] = [];
  await using sequencer = new RoomSequencer(history, {
    sweepIntervalMs: 0,
    onDeactivate: (room) => deactivated.push(room),
  });
  const controller = new AbortController();
  sequencer.subscribe("r", { signal: controller.signal });
  await sequencer.ready("r");
  assert.deepEqual(sequencer.activeRooms, ["r"]);
  controller.abort();
  assert.deepEqual(sequencer.activeRooms, []);
  assert.deepEqual(deactivated, ["r"]);
});
