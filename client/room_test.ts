import assert from "node:assert/strict";
import { ChatClient } from "./client.ts";
import { ChatError } from "./errors.ts";
import type { RoomEvent } from "./room.ts";
import { withTimeout } from "../testing/async.ts";
import { startServer } from "../testing/server.ts";

/** The next event of `type` in `room`. */
function next<T extends RoomEvent["type"]>(
  room: ReturnType<ChatClient["join"]>,
  type: T,
): Promise<Extract<RoomEvent, { type: T }>> {
  const found = Promise.withResolvers<Extract<RoomEvent, { type: T }>>();
  const off = room.on(type, found.resolve);
  return withTimeout(found.promise, `a "${type}" event`).finally(off);
}

Deno.test("Room delivers the latest history on join, and history() pages back to the first message", async () => {
  await using server = startServer({ historyLimit: 10 });
  await using writer = new ChatClient(server.wsUrl, { name: "Writer" });
  const out = writer.join("general");
  for (let i = 1; i <= 25; i++) await out.send(`m${i}`);
  await using reader = new ChatClient(server.wsUrl, { name: "Reader" });
  const room = reader.join("general");
  const joined = next(room, "joined");
  const shown: string[] = [];
  room.on("message", (message) => shown.push(message.text));
  assert.equal((await joined).resumed, false);
  await room.ready;
  assert.deepEqual(shown, Array.from({ length: 10 }, (_, i) => `m${i + 16}`));
  assert.equal(room.hasMore, true);

  const pages = [];
  for (let asked = 0; room.hasMore && asked < 5; asked++) {
    const page = await room.history();
    pages.push(page.messages.map((message) => message.text));
  }
  assert.deepEqual(pages, [
    Array.from({ length: 10 }, (_, i) => `m${i + 6}`),
    Array.from({ length: 5 }, (_, i) => `m${i + 1}`),
  ]);
  assert.deepEqual(await room.history(), { messages: [], hasMore: false });
});

Deno.test("Room yields its events to for await and to listeners alike", async () => {
  await using server = startServer();
  await using ada = new ChatClient(server.wsUrl, { name: "Ada" });
  await using grace = new ChatClient(server.wsUrl, { name: "Grace" });
  const room = ada.join("general");
  const heard: string[] = [];
  room.on("message", (message) => heard.push(message.text));
  const iterated: string[] = [];
  const loop = (async () => {
    for await (const event of room) {
      iterated.push(event.type);
      if (event.type === "message" && event.text === "bye") break;
    }
  })();
  await room.ready;
  const other = grace.join("general");
  await other.send("hello");
  await other.send("bye");
  await withTimeout(loop, "the loop to see both messages");
  assert.deepEqual(heard, ["hello", "bye"]);
  assert.deepEqual(iterated.filter((type) => type === "message").length, 2);
  assert.equal(iterated[0], "joined");
});

/** The names of a room's members, as listed. */
function names(room: { members: readonly { name: string }[] }): string[] {
  return room.members.map((member) => member.name);
}

Deno.test("Room tracks members as they arrive, rename and leave", async () => {
  await using server = startServer();
  await using ada = new ChatClient(server.wsUrl, { name: "Ada" });
  const room = ada.join("general");
  await room.ready;
  assert.deepEqual(names(room), ["Ada"]);

  await using grace = new ChatClient(server.wsUrl, { name: "Grace" });
  const arrived = next(room, "presence");
  const theirs = grace.join("general");
  await arrived;
  assert.deepEqual(names(room), ["Ada", "Grace"]);
  assert.equal(room.memberCount, 2);

  const renamed = next(room, "presence");
  assert.equal(await grace.setName("  Grace H "), "Grace H");
  assert.equal(grace.user, "Grace H");
  await renamed;
  assert.deepEqual(names(room), ["Ada", "Grace H"]);

  const left = next(room, "presence");
  await theirs.leave();
  assert.equal(theirs.status, "left");
  await left;
  assert.deepEqual(names(room), ["Ada"]);
  assert.equal(room.memberCount, 1);
});

Deno.test("Room.leave() ends its iterators and takes it off the client", async () => {
  await using server = startServer();
  await using client = new ChatClient(server.wsUrl);
  const room = client.join("dev");
  const events = room.events();
  await room.ready;
  await room.leave();
  const types = await withTimeout(
    Array.fromAsync(events, (event) => event.type),
    "the events to end",
  );
  assert.deepEqual(types, ["joined", "left"]);
  assert.deepEqual(client.rooms, []);
  const again = client.join("dev");
  assert.notEqual(again, room);
  await again.ready;
});

Deno.test("ChatClient.join() of a room the server refuses rejects ready and ends its iterator with the error", async () => {
  await using server = startServer();
  await using client = new ChatClient(server.wsUrl);
  const room = client.join("no spaces allowed");
  const events = room.events();
  const refused = (error: unknown) =>
    error instanceof ChatError && error.code === "invalid_room";
  await assert.rejects(withTimeout(room.ready, "the refusal"), refused);
  await assert.rejects(events.next(), refused);
  assert.equal(room.status, "left");
  assert.deepEqual(client.rooms, []);
});

Deno.test("Room.send() rejects with the server's code a message it refuses for good, and drops it", async () => {
  await using server = startServer({ maxMessageBytes: 8 });
  await using client = new ChatClient(server.wsUrl);
  const room = client.join("general");
  await assert.rejects(
    withTimeout(room.send("far too long for eight bytes"), "the refusal"),
    (error) => error instanceof ChatError && error.code === "message_too_large",
  );
  assert.deepEqual(room.pending, []);
  const ack = await room.send("fits");
  assert.equal(ack.id, 1, "the refused message did not hold up the next");
});

Deno.test("ChatClient.join() with since of an epoch the room no longer has starts the room over", async () => {
  await using server = startServer();
  await using writer = new ChatClient(server.wsUrl);
  await writer.join("general").send("the only message");
  await using client = new ChatClient(server.wsUrl);
  const room = client.join("general", { since: 5, epoch: "gone" });
  const joined = next(room, "joined");
  const message = next(room, "message");
  const event = await joined;
  assert.equal(event.resumed, false);
  assert.equal(event.truncated, true);
  assert.notEqual(event.epoch, "gone");
  assert.equal((await message).text, "the only message");
  assert.equal(room.lastId, 1);
});

Deno.test("ChatClient.join() with since and the room's epoch resumes after that message", async () => {
  await using server = startServer();
  await using writer = new ChatClient(server.wsUrl);
  const out = writer.join("general");
  for (const text of ["one", "two", "three"]) await out.send(text);
  await using client = new ChatClient(server.wsUrl);
  const room = client.join("general", { since: 2, epoch: out.epoch });
  const joined = next(room, "joined");
  const message = next(room, "message");
  assert.equal((await joined).resumed, true);
  assert.equal((await message).text, "three");
});

Deno.test("ChatClient.join() with since catches up over several history pages, each message once and in order", async () => {
  await using server = startServer({ historyLimit: 5 });
  await using writer = new ChatClient(server.wsUrl);
  const out = writer.join("general");
  for (let i = 1; i <= 23; i++) await out.send(`m${i}`);
  await using client = new ChatClient(server.wsUrl);
  const room = client.join("general", { since: 2, epoch: out.epoch });
  const texts: string[] = [];
  const last = Promise.withResolvers<void>();
  room.on("message", (message) => {
    texts.push(message.text);
    if (message.id === 23) last.resolve();
  });
  await withTimeout(last.promise, "message 23");
  // A page asked for twice would answer this request too.
  const page = await room.history({ before: 3, limit: 1 });
  assert.deepEqual(page.messages.map((message) => message.text), ["m2"]);
  const wanted = Array.from({ length: 21 }, (_, i) => `m${i + 3}`);
  assert.deepEqual(texts, wanted);
});
