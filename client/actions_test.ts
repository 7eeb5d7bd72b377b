import assert from "node:assert/strict";
import { ChatClient } from "./client.ts";
import { ChatError } from "./errors.ts";
import type { ClientEvent } from "./options.ts";
import type { Room, RoomEvent } from "./room.ts";
import type { LogEntry } from "./types.ts";
import { withTimeout } from "../testing/async.ts";
import { ManualClock } from "../testing/manual_clock.ts";
import { startServer } from "../testing/server.ts";
import { TcpProxy } from "../testing/tcp_proxy.ts";
import { signTestToken, TEST_SECRET } from "../testing/tokens.ts";

/** Retries within tens of milliseconds, so a reconnect test does not idle. */
const QUICK = { initialDelay: 20, maxDelay: 100 };

/** A token provider for user `sub`, with `role`. */
function tokenFor(sub: string, role = "member"): () => Promise<string> {
  return () => signTestToken({ sub, name: sub, role });
}

/** The next event of `type` in `room`. */
function next<T extends RoomEvent["type"]>(
  room: Room,
  type: T,
): Promise<Extract<RoomEvent, { type: T }>> {
  const found = Promise.withResolvers<Extract<RoomEvent, { type: T }>>();
  const off = room.on(type, found.resolve);
  return withTimeout(found.promise, `a "${type}" event`).finally(off);
}

/** The next event of `type` the client reports. */
function nextClientEvent<T extends ClientEvent["type"]>(
  client: ChatClient,
  type: T,
): Promise<Extract<ClientEvent, { type: T }>> {
  const found = Promise.withResolvers<Extract<ClientEvent, { type: T }>>();
  const off = client.on(type, found.resolve);
  return withTimeout(found.promise, `a "${type}" event`).finally(off);
}

/** Collects the room's log entries (messages, edits, deletions) until `count`. */
function entries(room: Room, count: number): Promise<LogEntry[]> {
  const into: LogEntry[] = [];
  const done = Promise.withResolvers<LogEntry[]>();
  const add = (entry: LogEntry) => {
    into.push(entry);
    if (into.length === count) done.resolve(into);
  };
  room.on("message", add);
  room.on("edit", add);
  room.on("delete", add);
  return withTimeout(done.promise, `${count} log entries`);
}

/** What an entry says, for comparing a run of them. */
function describe(entry: LogEntry): string {
  switch (entry.type) {
    case "message":
      return entry.deleted
        ? `message ${entry.id}, deleted`
        : `message ${entry.id}: ${entry.text}`;
    case "edit":
      return `edit ${entry.id} of ${entry.target}: ${entry.text}`;
    case "delete":
      return `delete ${entry.id} of ${entry.target}`;
  }
}

Deno.test("Room.edit() and Room.delete() reach every member as edit and delete entries, in id order", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using ada = new ChatClient(server.wsUrl, { token: tokenFor("ada") });
  await using bo = new ChatClient(server.wsUrl, { token: tokenFor("bo") });
  const mine = ada.join("general");
  const theirs = bo.join("general");
  await Promise.all([mine.ready, theirs.ready]);
  const seen = entries(theirs, 3);
  const sent = await mine.send("Helo");
  const edited = await mine.edit(sent.id, "Hello");
  const deleted = await mine.delete(sent.id);
  assert.deepEqual((await seen).map(describe), [
    `message ${sent.id}: Helo`,
    `edit ${edited.id} of ${sent.id}: Hello`,
    `delete ${deleted.id} of ${sent.id}`,
  ]);
  assert.equal(theirs.lastId, deleted.id);
  const notTheirs = await theirs.send("Bo's");
  const forbidden = await mine.edit(notTheirs.id, "Ada's").catch((e) => e);
  assert(forbidden instanceof ChatError);
  assert.equal(forbidden.code, "forbidden");
  const gone = await mine.edit(sent.id, "back").catch((e) => e);
  assert(gone instanceof ChatError);
  assert.equal(gone.code, "not_found", "a deleted message cannot change");
});

Deno.test("Room resumes after a long absence with every edit and deletion it missed, each once and in order", async () => {
  // A resume returns at most 3 entries: the client pages back, with
  // `since`, through the edits and deletions too. A message missed is
  // delivered as it is now (the deleted one without its text).
  await using server = startServer({
    authSecret: TEST_SECRET,
    historyLimit: 3,
    rateLimit: 1000,
    rateBurst: 1000,
  });
  await using proxy = new TcpProxy(server.port);
  await using reader = new ChatClient(`ws://127.0.0.1:${proxy.port}/ws`, {
    token: tokenFor("reader"),
    backoff: QUICK,
  });
  await using writer = new ChatClient(server.wsUrl, {
    token: tokenFor("writer"),
  });
  const room = reader.join("general");
  const out = writer.join("general");
  await Promise.all([room.ready, out.ready]);
  const seen = entries(room, 8);
  const delivered = next(room, "message");
  const first = await out.send("one");
  await delivered;
  const away = nextClientEvent(reader, "state");
  proxy.refuse(true);
  proxy.cut();
  assert.equal((await away).state, "reconnecting");
  const second = await out.send("two");
  await out.edit(first.id, "one, edited");
  await out.send("three");
  await out.delete(second.id);
  await out.edit(first.id, "one, edited twice");
  await out.send("four");
  const joined = next(room, "joined");
  proxy.refuse(false);
  assert.equal((await joined).resumed, true);
  await out.send("five");
  assert.deepEqual((await seen).map(describe), [
    "message 1: one",
    "message 2, deleted",
    "edit 3 of 1: one, edited",
    "message 4: three",
    "delete 5 of 2",
    "edit 6 of 1: one, edited twice",
    "message 7: four",
    "message 8: five",
  ]);
});

Deno.test("Room.typing() writes at most one frame per the server's typing interval, and other members receive it", async () => {
  const interval = 60_000;
  await using server = startServer({ typingInterval: interval });
  const clock = new ManualClock();
  await using ada = new ChatClient(server.wsUrl, { name: "Ada", clock });
  await using bo = new ChatClient(server.wsUrl, { name: "Bo" });
  const mine = ada.join("general");
  const theirs = bo.join("general");
  await Promise.all([mine.ready, theirs.ready]);
  const typing = next(theirs, "typing");
  const frames = () =>
    server.handler.metrics.framesReceived.value({ protocol: "json" });

  const before = frames();
  for (let i = 0; i < 5; i++) mine.typing();
  await ada.ping();
  assert.equal(frames() - before, 2, "one typing frame, then the ping");
  const event = await typing;
  assert.equal(event.user.name, "Ada");
  assert.equal(event.room, "general");

  clock.advance(interval - 1);
  mine.typing();
  await ada.ping();
  assert.equal(frames() - before, 3, "still within the interval");
  clock.advance(1);
  mine.typing();
  await ada.ping();
  assert.equal(frames() - before, 5, "a new interval: typing again");
});

Deno.test("Room.ban() and kick() by a moderator take the user out with left and its reason; a ban keeps them out", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using mod = new ChatClient(server.wsUrl, {
    token: tokenFor("mod", "moderator"),
  });
  await using bo = new ChatClient(server.wsUrl, { token: tokenFor("bo") });
  const modRoom = mod.join("dev");
  await Promise.all([modRoom.ready, bo.join("dev").ready]);

  const kicked = next(bo.join("dev"), "left");
  const kick = await modRoom.kick("bo", { reason: "cool off" });
  assert.deepEqual(kick, { action: "kick", room: "dev", userId: "bo" });
  assert.equal((await kicked).reason, "kicked");

  const again = bo.join("dev");
  await again.ready;
  const banned = next(again, "left");
  const ban = await modRoom.ban("bo", { duration: 60 });
  assert.equal(ban.action, "ban");
  assert.equal(typeof ban.until, "number");
  assert.equal((await banned).reason, "banned");
  const refused = await bo.join("dev").ready.catch((e) => e);
  assert(refused instanceof ChatError);
  assert.equal(refused.code, "banned");

  await modRoom.unban("bo");
  await bo.join("dev").ready;
  const notModerator = await bo.join("dev").ban("mod").catch((e) => e);
  assert(notModerator instanceof ChatError);
  assert.equal(notModerator.code, "forbidden");
});

Deno.test("ChatClient reports signed_out when the host application disconnects its user, and a guest stays closed", async () => {
  const apiKey = "test api key, long enough";
  await using server = startServer({ apiKey });
  await using guest = new ChatClient(server.wsUrl, { name: "Ada" });
  await guest.join("general").ready;
  const userId = guest.identity!.id;
  const reported = nextClientEvent(guest, "error");
  const closed = nextClientEvent(guest, "state");
  const res = await fetch(
    `${server.origin}/api/users/${encodeURIComponent(userId)}/disconnect`,
    { method: "POST", headers: { authorization: `Bearer ${apiKey}` } },
  );
  assert.equal(res.status, 200, await res.text());
  assert.equal((await reported).error.code, "signed_out");
  assert.equal((await closed).state, "closed");
});
