import assert from "node:assert/strict";
import {
  ask,
  connect,
  nextTexts,
  sendAndAck,
  signedIn,
  type TestClient,
} from "../testing/client.ts";
import { startServer } from "../testing/server.ts";
import { signTestToken, TEST_SECRET } from "../testing/tokens.ts";

/** The events `client` gets before the message `text`, as `type user` strings. */
async function eventsBefore(client: TestClient, text: string) {
  const seen: string[] = [];
  while (true) {
    const event = await client.nextEvent();
    if (event.type === "message" && event.text === text) return seen;
    if (event.type === "typing") seen.push(`typing ${event.user.id}`);
    if (event.type === "message") seen.push(`message ${event.text}`);
  }
}

Deno.test("typing: other members see who is typing, at most once per interval per user and room", async () => {
  let now = Date.now();
  await using server = startServer({
    authSecret: TEST_SECRET,
    typingInterval: 2000,
  }, { now: () => now });
  await using ada = (await signedIn(server.wsUrl, { sub: "ada", name: "Ada" }))
    .client;
  await using bo = (await signedIn(server.wsUrl, { sub: "bo" })).client;
  for (let i = 0; i < 5; i++) ada.sendJson({ type: "typing", room: "general" });
  await sendAndAck(ada, "general", "first", "s1");
  assert.deepEqual(await eventsBefore(bo, "first"), ["typing ada"]);
  now += 2000;
  ada.sendJson({ type: "typing", room: "general" });
  await sendAndAck(ada, "general", "second", "s2");
  const typing = await eventsBefore(bo, "second");
  assert.deepEqual(typing, ["typing ada"]);
});

Deno.test("typing: never stored, so neither history nor a resume carries it", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using ada = (await signedIn(server.wsUrl, { sub: "ada" })).client;
  await using bo = (await signedIn(server.wsUrl, { sub: "bo" })).client;
  const first = await sendAndAck(ada, "general", "before", "s1");
  ada.sendJson({ type: "typing", room: "general" });
  await sendAndAck(ada, "general", "after", "s2");
  assert.deepEqual(await eventsBefore(bo, "after"), [
    "message before",
    "typing ada",
  ]);
  const { client: back } = await signedIn(server.wsUrl, { sub: "cy" }, []);
  await using _ = back;
  back.sendJson({ type: "join", room: "general", since: first.id - 1 });
  const joined = await back.nextOfType("joined");
  assert.deepEqual(joined.messages.map((entry) => entry.type), [
    "message",
    "message",
  ]);
  back.sendJson({ type: "history", room: "general", before: 100, since: 0 });
  const page = await back.nextOfType("history");
  assert.deepEqual(page.messages.map((entry) => entry.id), [
    first.id,
    first.id + 1,
  ]);
});

Deno.test("typing: plain-text clients never get it", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using ada = (await signedIn(server.wsUrl, { sub: "ada" })).client;
  await using bo = (await signedIn(server.wsUrl, { sub: "bo" })).client;
  const token = await signTestToken({ sub: "tutorial" });
  await using plain = await connect(`${server.wsUrl}?token=${token}`);
  await server.untilConnections(3);
  ada.sendJson({ type: "typing", room: "general" });
  await sendAndAck(ada, "general", "hello", "s1");
  assert.deepEqual(await eventsBefore(bo, "hello"), ["typing ada"]);
  assert.deepEqual(await nextTexts(plain, 1), ["hello"]);
});

Deno.test("typing: a room larger than largeRoom gets none", async () => {
  await using server = startServer({ authSecret: TEST_SECRET, largeRoom: 1 });
  await using ada = (await signedIn(server.wsUrl, { sub: "ada" })).client;
  await using bo = (await signedIn(server.wsUrl, { sub: "bo" })).client;
  ada.sendJson({ type: "typing", room: "general" });
  await sendAndAck(ada, "general", "hello", "s1");
  assert.deepEqual(await eventsBefore(bo, "hello"), []);
});

Deno.test("typing: refused in a room the client has not joined", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using ada = (await signedIn(server.wsUrl, { sub: "ada" })).client;
  const reply = await ask(ada, { type: "typing", room: "dev" });
  assert.equal(reply.type === "error" && reply.code, "not_joined");
});
