import assert from "node:assert/strict";
import { MemoryModeration } from "../chat/moderation.ts";
import {
  ask,
  connect,
  connectJson,
  nextTexts,
  sendAndAck,
  signedIn,
} from "../testing/client.ts";
import { startServer } from "../testing/server.ts";
import { signTestToken, TEST_SECRET } from "../testing/tokens.ts";
import type { ServerEvent } from "./protocol.ts";

function codeOf(event: ServerEvent): string {
  return event.type === "error" ? event.code : event.type;
}

Deno.test("edit: the author's edit reaches every member in order, and history shows the new text, marked edited", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using ada = (await signedIn(server.wsUrl, { sub: "ada" })).client;
  await using bo = (await signedIn(server.wsUrl, { sub: "bo" })).client;
  const sent = await sendAndAck(ada, "general", "helo", "s1");
  const ack = await ask(ada, {
    type: "edit",
    room: "general",
    id: sent.id,
    text: "hello",
  });
  assert(ack.type === "ack", JSON.stringify(ack));
  assert.equal(ack.id, sent.id + 1);
  assert.equal((await bo.nextOfType("message")).text, "helo");
  const edit = await bo.nextOfType("edit");
  assert.deepEqual(
    { id: edit.id, target: edit.target, text: edit.text, userId: edit.userId },
    { id: ack.id, target: sent.id, text: "hello", userId: "ada" },
  );
  const { client: late, joined: [joined] } = await signedIn(server.wsUrl, {
    sub: "cy",
  });
  await using _ = late;
  assert.deepEqual(
    joined?.messages.map((m) => m.type === "message" && [m.text, m.edited]),
    [["hello", edit.ts]],
  );
});

Deno.test("delete: members get the deletion, and history keeps a tombstone with the id but no text", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using ada = (await signedIn(server.wsUrl, { sub: "ada" })).client;
  await using bo = (await signedIn(server.wsUrl, { sub: "bo" })).client;
  const sent = await sendAndAck(ada, "general", "oops", "s1");
  const ack = await ask(ada, { type: "delete", room: "general", id: sent.id });
  assert.equal(codeOf(ack), "ack");
  const removal = await bo.nextOfType("delete");
  assert.deepEqual([removal.target, removal.userId], [sent.id, "ada"]);
  const { client: late, joined: [joined] } = await signedIn(server.wsUrl, {
    sub: "cy",
  });
  await using _ = late;
  const [tombstone] = joined!.messages;
  assert(tombstone?.type === "message");
  assert.deepEqual(
    [tombstone.id, tombstone.text, tombstone.deleted, tombstone.userId],
    [sent.id, "", true, "ada"],
  );
});

Deno.test("edit and delete: only the author may edit; a member may not delete someone else's message, a moderator may, and it is recorded", async () => {
  const moderation = new MemoryModeration();
  await using server = startServer({ authSecret: TEST_SECRET }, {
    moderation,
  });
  await using ada = (await signedIn(server.wsUrl, { sub: "ada" })).client;
  await using bo = (await signedIn(server.wsUrl, { sub: "bo" })).client;
  await using mo = (await signedIn(server.wsUrl, {
    sub: "mo",
    role: "moderator",
  })).client;
  const { id } = await sendAndAck(ada, "general", "mine", "s1");
  const room = "general";
  for (const type of ["edit", "delete"]) {
    const refused = await ask(bo, { type, room, id, text: "taken" });
    assert.equal(codeOf(refused), "forbidden", type);
  }
  assert.equal(
    codeOf(await ask(mo, { type: "edit", room, id, text: "x" })),
    "forbidden",
  );
  assert.equal(codeOf(await ask(mo, { type: "delete", room, id })), "ack");
  const { records } = await moderation.records({ limit: 10 });
  assert.deepEqual(
    records.map((r) => [r.action, r.by.id, r.userId, r.room, r.messageId]),
    [["delete", "mo", "ada", "general", id]],
  );
});

Deno.test("hello: limits.editWindow says how long authors may edit, so clients offer it only then", async () => {
  await using server = startServer({ editWindow: 60 });
  const { client, hello } = await connectJson(server.wsUrl, []);
  await using _ = client;
  assert.equal(hello.limits.editWindow, 60);
});

Deno.test("edit: past the edit window the author gets edit_window_closed", async () => {
  let now = Date.now();
  await using server = startServer(
    { authSecret: TEST_SECRET, editWindow: 60 },
    {
      now: () => now,
    },
  );
  await using ada = (await signedIn(server.wsUrl, { sub: "ada" })).client;
  const { id } = await sendAndAck(ada, "general", "first", "s1");
  const request = { type: "edit", room: "general", id, text: "second" };
  now += 59_000;
  assert.equal(codeOf(await ask(ada, request)), "ack");
  now += 2_000;
  const late = await ask(ada, request);
  assert.equal(codeOf(late), "edit_window_closed");
  assert.equal(
    codeOf(await ask(ada, { type: "delete", room: "general", id })),
    "edit_window_closed",
  );
});

Deno.test("edit and delete: a nonce makes them idempotent, and members see each once", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using ada = (await signedIn(server.wsUrl, { sub: "ada" })).client;
  await using bo = (await signedIn(server.wsUrl, { sub: "bo" })).client;
  const { id } = await sendAndAck(ada, "general", "a", "s1");
  const edit = { type: "edit", room: "general", id, text: "b", nonce: "e1" };
  const removal = { type: "delete", room: "general", id, nonce: "d1" };
  const replies = [];
  for (const request of [edit, edit, removal, removal]) {
    ada.sendJson(request);
    replies.push(await ada.nextOfType("ack"));
  }
  assert.deepEqual(
    replies.map((ack) => [ack.id, ack.duplicate]),
    [[id + 1, false], [id + 1, true], [id + 2, false], [id + 2, true]],
  );
  await sendAndAck(ada, "general", "after", "s2");
  const seen = [];
  while (seen.at(-1) !== "after") {
    const event = await bo.nextEvent();
    if (event.type === "message") seen.push(event.text);
    if (event.type === "edit" || event.type === "delete") {
      seen.push(event.type);
    }
  }
  assert.deepEqual(seen, ["a", "edit", "delete", "after"]);
});

Deno.test("edit and delete: refused with not_found for a missing or deleted message, bad_request for bad fields", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using ada = (await signedIn(server.wsUrl, { sub: "ada" })).client;
  const { id } = await sendAndAck(ada, "general", "gone soon", "s1");
  await ask(ada, { type: "delete", room: "general", id });
  const cases: [Record<string, unknown>, string][] = [
    [{ type: "edit", room: "general", id: 999, text: "x" }, "not_found"],
    [{ type: "edit", room: "general", id, text: "x" }, "not_found"],
    [{ type: "delete", room: "general", id }, "not_found"],
    [{ type: "edit", room: "general", id, text: "" }, "bad_request"],
    [{ type: "edit", room: "general", text: "x" }, "bad_request"],
    [{ type: "delete", room: "general", id: -1 }, "bad_request"],
    [{ type: "delete", room: "elsewhere", id }, "not_joined"],
  ];
  for (const [request, code] of cases) {
    assert.equal(
      codeOf(await ask(ada, request)),
      code,
      JSON.stringify(request),
    );
  }
});

Deno.test("edit and delete: plain-text clients see neither, only new messages", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using ada = (await signedIn(server.wsUrl, { sub: "ada" })).client;
  const token = await signTestToken({ sub: "tutorial" });
  await using plain = await connect(`${server.wsUrl}?token=${token}`);
  await server.untilConnections(2);
  const { id } = await sendAndAck(ada, "general", "one", "s1");
  await ask(ada, { type: "edit", room: "general", id, text: "uno" });
  await ask(ada, { type: "delete", room: "general", id });
  await sendAndAck(ada, "general", "two", "s2");
  assert.deepEqual(await nextTexts(plain, 2), ["one", "two"]);
});

Deno.test("join with since: a client that was away gets the edits and deletions made meanwhile, once and in order", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using ada = (await signedIn(server.wsUrl, { sub: "ada" })).client;
  const first = await sendAndAck(ada, "general", "one", "s1");
  const second = await sendAndAck(ada, "general", "two", "s2");
  const { client: away } = await signedIn(server.wsUrl, { sub: "bo" });
  await away[Symbol.asyncDispose]();
  await ask(ada, { type: "edit", room: "general", id: first.id, text: "1" });
  await ask(ada, { type: "delete", room: "general", id: second.id });
  await sendAndAck(ada, "general", "three", "s3");
  const { client: back } = await signedIn(server.wsUrl, { sub: "bo" }, []);
  await using _ = back;
  back.sendJson({ type: "join", room: "general", since: second.id });
  const joined = await back.nextOfType("joined");
  assert.deepEqual(
    joined.messages.map((entry) =>
      entry.type === "message"
        ? ["message", entry.text]
        : entry.type === "edit"
        ? ["edit", entry.target, entry.text]
        : ["delete", entry.target]
    ),
    [["edit", first.id, "1"], ["delete", second.id], ["message", "three"]],
  );
  assert.equal(joined.truncated, false);
});

Deno.test("history with since pages back through every kind of entry a resume missed", async () => {
  await using server = startServer({
    authSecret: TEST_SECRET,
    historyLimit: 2,
  });
  await using ada = (await signedIn(server.wsUrl, { sub: "ada" })).client;
  const { id } = await sendAndAck(ada, "general", "one", "s1");
  for (const text of ["a", "b", "c"]) {
    await ask(ada, { type: "edit", room: "general", id, text });
  }
  const { client: back } = await signedIn(server.wsUrl, { sub: "bo" }, []);
  await using _ = back;
  back.sendJson({ type: "join", room: "general", since: id });
  const joined = await back.nextOfType("joined");
  assert.deepEqual(
    [joined.messages.map((e) => e.id), joined.hasMore],
    [[id + 2, id + 3], true],
  );
  back.sendJson({
    type: "history",
    room: "general",
    before: id + 2,
    since: id,
  });
  const page = await back.nextOfType("history");
  assert.deepEqual(
    page.messages.map((e) => e.type === "edit" && e.text),
    ["a"],
  );
  assert.equal(page.hasMore, false);
});
