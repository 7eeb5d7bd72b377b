import assert from "node:assert/strict";
import type { RoomInfo } from "../chat/directory.ts";
import { directRoom } from "../chat/rooms.ts";
import {
  ask,
  connect,
  connectJson,
  sendAndAck,
  signedIn,
  type TestClient,
} from "../testing/client.ts";
import { startKvInstances } from "../testing/kv_instances.ts";
import { SKIP_REDIS, startRedisCluster } from "../testing/redis.ts";
import { startServer } from "../testing/server.ts";
import { TEST_SECRET } from "../testing/tokens.ts";

/** Asks for the room directory and returns its rooms; fails on any other answer. */
async function directory(client: TestClient): Promise<RoomInfo[]> {
  const reply = await ask(client, { type: "rooms" });
  assert.equal(reply.type, "rooms", JSON.stringify(reply));
  return (reply as Extract<typeof reply, { type: "rooms" }>).rooms;
}

/**
 * Users in public, private and direct rooms through instance `one` and
 * `two` (the same URL for one instance); a guest on `two` sees the public
 * rooms only, with every instance's members counted and the time of each
 * room's latest entry.
 */
async function listsPublicRoomsOfEveryInstance(
  one: string,
  two: string,
): Promise<void> {
  const dm = directRoom("ada", "bo");
  const { client: ada } = await signedIn(one, {
    sub: "ada",
    rooms: ["private-team"],
  }, ["general", "dev", "private-team", dm]);
  await using _ada = ada;
  const { client: bo } = await signedIn(two, { sub: "bo" }, ["general", dm]);
  await using _bo = bo;
  const { id } = await sendAndAck(ada, "dev", "hi", "m1");
  const edit = await ask(ada, { type: "edit", room: "dev", id, text: "hello" });
  assert.equal(edit.type, "ack");
  await sendAndAck(ada, "private-team", "secret", "p1");
  await sendAndAck(bo, dm, "psst", "d1");
  const { client: guest } = await connectJson(two, []);
  await using _guest = guest;
  assert.deepEqual(await directory(guest), [
    { name: "general", memberCount: 2, lastActivity: null },
    {
      name: "dev",
      memberCount: 1,
      lastActivity: (edit as Extract<typeof edit, { type: "ack" }>).ts,
    },
  ]);
}

const AUTH = { authSecret: TEST_SECRET, guests: "on" } as const;

Deno.test("rooms: lists the public rooms where someone is present, busiest first, with the time of each one's latest entry; never private or direct rooms", async () => {
  await using server = startServer(AUTH);
  await listsPublicRoomsOfEveryInstance(server.wsUrl, server.wsUrl);
});

Deno.test("rooms: two Deno KV instances on one file list each other's rooms and members", async () => {
  await using instances = await startKvInstances(2, AUTH);
  const [one, two] = instances.wsUrls as [string, string];
  await listsPublicRoomsOfEveryInstance(one, two);
});

Deno.test({
  name:
    "rooms: two instances over Redis list each other's rooms and members, and answer unavailable while Redis is down",
  ignore: SKIP_REDIS,
  async fn() {
    await using cluster = await startRedisCluster(2, [
      "--auth-secret",
      TEST_SECRET,
      "--guests",
      "on",
    ]);
    const [one, two] = cluster.wsUrls as [string, string];
    await listsPublicRoomsOfEveryInstance(one, two);

    const { client } = await connectJson(one);
    await using _client = client;
    await cluster.redis.kill();
    const reply = await ask(client, { type: "rooms" });
    assert.equal(reply.type === "error" && reply.code, "unavailable");
  },
});

Deno.test("rooms: lists at most CHAT_DIRECTORY_LIMIT rooms", async () => {
  await using server = startServer({ directoryLimit: 2 });
  const { client } = await connectJson(server.wsUrl, ["one", "two", "three"]);
  await using _client = client;
  const rooms = await directory(client);
  assert.equal(rooms.length, 2);
  for (const room of rooms) {
    assert(["one", "two", "three"].includes(room.name), room.name);
  }
});

Deno.test("rooms: counts against the rate limit", async () => {
  await using server = startServer({ rateLimit: 1, rateBurst: 1 });
  const { client } = await connectJson(server.wsUrl, []);
  await using _client = client;
  // Both at once, so the bucket has no time to refill between them.
  client.sendJson({ type: "rooms", nonce: "first" });
  client.sendJson({ type: "rooms", nonce: "second" });
  const replies = new Map<string, string>();
  while (replies.size < 2) {
    const event = await client.nextEvent();
    if ("nonce" in event && event.nonce !== undefined) {
      replies.set(
        event.nonce,
        event.type === "error" ? event.code : event.type,
      );
    }
  }
  assert.deepEqual(Object.fromEntries(replies), {
    first: "rooms",
    second: "rate_limited",
  });
});

Deno.test("rooms: read-only guests may list; where guests are off, only after sign-in", async () => {
  await using readOnly = startServer({ guests: "read-only" });
  const { client: reader } = await connectJson(readOnly.wsUrl);
  await using _reader = reader;
  assert.deepEqual(await directory(reader), [
    { name: "general", memberCount: 1, lastActivity: null },
  ]);

  await using closed = startServer({ authSecret: TEST_SECRET, guests: "off" });
  await using stranger = await connect(closed.wsUrl, { json: true });
  await stranger.nextOfType("hello");
  const refused = await ask(stranger, { type: "rooms" });
  assert.equal(refused.type === "error" && refused.code, "auth_required");
  const { client: member } = await signedIn(closed.wsUrl, { sub: "ada" });
  await using _member = member;
  assert.deepEqual((await directory(member)).map((room) => room.name), [
    "general",
  ]);
});
