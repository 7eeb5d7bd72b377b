import assert from "node:assert/strict";
import { createClient } from "redis";
import { withTimeout } from "../testing/async.ts";
import {
  ask,
  connect,
  sendAndAck,
  signedIn,
  type TestClient,
} from "../testing/client.ts";
import { SKIP_REDIS, startCluster, startRedis } from "../testing/redis.ts";
import { startServer } from "../testing/server.ts";
import { spawnServer } from "../testing/server_process.ts";
import { signTestToken, TEST_SECRET } from "../testing/tokens.ts";
import type { ServerEvent } from "./protocol.ts";

function codeOf(event: ServerEvent): string {
  return event.type === "error" ? event.code : event.type;
}

/** Asks to join `room`; returns `joined`, or the code of the refusal. */
async function join(client: TestClient, room: string): Promise<string> {
  const nonce = crypto.randomUUID();
  client.sendJson({ type: "join", room, nonce });
  while (true) {
    const event = await client.nextEvent();
    if (event.type === "joined" && event.room === room) return "joined";
    if (event.type === "error" && event.nonce === nonce) return event.code;
  }
}

/** Asks each request of a user kept out of `room`, and returns the codes of the answers. */
async function refusals(client: TestClient, room: string): Promise<string[]> {
  const requests = [
    { type: "send", room, text: "let me in" },
    { type: "history", room, before: 1_000 },
  ];
  const codes = [];
  for (const request of requests) {
    codes.push(codeOf(await ask(client, request)));
  }
  return [...codes, await join(client, room)];
}

Deno.test("ban: a moderator's ban takes the user out of the room and keeps them out of join, send and history", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using mo = (await signedIn(server.wsUrl, {
    sub: "mo",
    role: "moderator",
  })).client;
  const { client: bo } = await signedIn(server.wsUrl, { sub: "bo" }, [
    "general",
    "dev",
  ]);
  await using _ = bo;
  const reply = await ask(mo, {
    type: "ban",
    room: "general",
    userId: "bo",
    reason: "spam",
  });
  assert.deepEqual(
    reply.type === "moderated" && [reply.action, reply.room, reply.until],
    ["ban", "general", null],
  );
  assert.deepEqual(await bo.nextOfType("left"), {
    type: "left",
    room: "general",
    reason: "banned",
  });
  assert.deepEqual(await refusals(bo, "general"), [
    "banned",
    "banned",
    "banned",
  ]);
  // Other rooms are not touched.
  await sendAndAck(bo, "dev", "still here", "d1");
  assert.equal(
    codeOf(await ask(mo, { type: "unban", room: "general", userId: "bo" })),
    "moderated",
  );
  assert.equal(
    await join(bo, "general"),
    "joined",
  );
});

Deno.test("ban: a ban with a duration ends by itself", async () => {
  let now = Date.now();
  await using server = startServer({ authSecret: TEST_SECRET }, {
    now: () => now,
  });
  await using mo = (await signedIn(server.wsUrl, {
    sub: "mo",
    role: "admin",
  })).client;
  await using bo = (await signedIn(server.wsUrl, { sub: "bo" }, [])).client;
  const reply = await ask(mo, {
    type: "ban",
    room: null,
    userId: "bo",
    duration: 60,
  });
  assert(reply.type === "moderated" && reply.until === now + 60_000);
  assert.equal(await join(bo, "dev"), "banned");
  now += 60_000;
  assert.equal(await join(bo, "dev"), "joined");
});

Deno.test("ban: moderators ban in rooms, only admins in every room, members not at all, nobody themselves", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  const cases: [string, Record<string, unknown>, string][] = [
    ["member", { type: "ban", room: "general", userId: "bo" }, "forbidden"],
    ["member", { type: "kick", room: "general", userId: "bo" }, "forbidden"],
    ["moderator", { type: "ban", room: null, userId: "bo" }, "forbidden"],
    ["moderator", { type: "ban", room: "general", userId: "x" }, "moderated"],
    ["admin", { type: "ban", room: null, userId: "x" }, "moderated"],
    ["admin", { type: "ban", room: null, userId: "admin" }, "bad_request"],
    ["admin", { type: "ban", userId: "bo" }, "bad_request"],
    ["admin", { type: "unban", room: "dev", userId: "bo" }, "not_found"],
  ];
  for (const [role, request, code] of cases) {
    const { client } = await signedIn(server.wsUrl, { sub: role, role }, []);
    await using _ = client;
    assert.equal(
      codeOf(await ask(client, request)),
      code,
      `${role} ${JSON.stringify(request)}`,
    );
  }
});

Deno.test("kick: takes the user out of the room now, and they may join again", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using mo = (await signedIn(server.wsUrl, {
    sub: "mo",
    role: "moderator",
  })).client;
  const { client: bo } = await signedIn(server.wsUrl, { sub: "bo" });
  await using _ = bo;
  assert.equal(
    codeOf(await ask(mo, { type: "kick", room: "general", userId: "bo" })),
    "moderated",
  );
  assert.equal((await bo.nextOfType("left")).reason, "kicked");
  assert.equal(
    codeOf(await ask(bo, { type: "send", room: "general", text: "x" })),
    "not_joined",
  );
  assert.equal(
    await join(bo, "general"),
    "joined",
  );
});

Deno.test("ban and kick: a plain-text client is closed with 4403 when banned and 4409 when kicked", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using mo = (await signedIn(server.wsUrl, {
    sub: "mo",
    role: "moderator",
  })).client;
  const url = `${server.wsUrl}?token=${await signTestToken({ sub: "pl" })}`;
  await using kicked = await connect(url);
  await server.untilConnections(2);
  await ask(mo, { type: "kick", room: "general", userId: "pl" });
  assert.equal((await kicked.closed).code, 4409);
  await using banned = await connect(url);
  await server.untilConnections(2);
  await ask(mo, { type: "ban", room: "general", userId: "pl" });
  assert.equal((await banned.closed).code, 4403);
  await using refused = await connect(url);
  assert.equal((await refused.closed).code, 4403);
});

Deno.test({
  name:
    "ban: across two Redis instances, a ban takes effect on the other at once, and holds across a restart",
  ignore: SKIP_REDIS,
  async fn() {
    await using redis = await startRedis();
    const flags = ["--auth-secret", TEST_SECRET];
    await using cluster = await startCluster(redis.url, 2, flags);
    const [a, b] = cluster.wsUrls as [string, string];
    await using mo = (await signedIn(a, { sub: "mo", role: "moderator" }))
      .client;
    const { client: bo } = await signedIn(b, { sub: "bo" });
    await using _ = bo;
    await ask(mo, { type: "ban", room: "general", userId: "bo" });
    assert.equal((await bo.nextOfType("left")).reason, "banned");
    assert.deepEqual(await refusals(bo, "general"), [
      "banned",
      "banned",
      "banned",
    ]);
    const { client: elsewhere } = await signedIn(a, { sub: "bo" }, []);
    await using __ = elsewhere;
    assert.equal(
      await join(elsewhere, "general"),
      "banned",
    );
    // A new instance, started after the ban, refuses the join too.
    await using restarted = await startCluster(redis.url, 1, flags);
    const { client: later } = await signedIn(restarted.wsUrls[0]!, {
      sub: "bo",
    }, []);
    await using ___ = later;
    assert.equal(
      await join(later, "general"),
      "banned",
    );
  },
});

Deno.test("ban: holds across a restart of a single server on its Deno KV file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = ["--auth-secret", TEST_SECRET, "--kv-path", `${dir}/chat.db`];
    const spawn = () =>
      spawnServer([...args, "--log-level", "error"], { kvPath: null });
    const wsUrl = (url: string) => `${url.replace("http", "ws")}ws`;
    {
      await using server = await spawn();
      await using mo = (await signedIn(wsUrl(server.url), {
        sub: "mo",
        role: "moderator",
      })).client;
      assert.equal(
        codeOf(await ask(mo, { type: "ban", room: "general", userId: "bo" })),
        "moderated",
      );
    }
    await using server = await spawn();
    const { client: bo } = await signedIn(wsUrl(server.url), { sub: "bo" }, []);
    await using _ = bo;
    assert.equal(
      await join(bo, "general"),
      "banned",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ban: a server-wide ban takes the user out of every room on every connection", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using admin = (await signedIn(server.wsUrl, {
    sub: "root",
    role: "admin",
  })).client;
  const tabs = await Promise.all(
    [0, 1].map(() => signedIn(server.wsUrl, { sub: "bo" }, ["general", "dev"])),
  );
  try {
    await ask(admin, { type: "ban", room: null, userId: "bo" });
    for (const { client } of tabs) {
      const left = [
        await client.nextOfType("left"),
        await client.nextOfType("left"),
      ];
      assert.deepEqual(left.map((event) => event.room).sort(), [
        "dev",
        "general",
      ]);
      assert(left.every((event) => event.reason === "banned"));
    }
  } finally {
    for (const { client } of tabs) await client[Symbol.asyncDispose]();
  }
  await withTimeout(server.untilConnections(1), "the tabs to close");
});

Deno.test({
  name:
    "ban: an instance that may have missed control events rechecks its members against the store",
  ignore: SKIP_REDIS,
  async fn() {
    await using redis = await startRedis({ durable: true });
    await using cluster = await startCluster(redis.url, 1, [
      "--auth-secret",
      TEST_SECRET,
    ]);
    const { client: bo } = await signedIn(cluster.wsUrls[0]!, { sub: "bo" });
    await using _ = bo;
    // A ban stored while its event was lost: the instance never heard of it.
    const client = await createClient({ url: redis.url }).connect();
    try {
      await client.hSet(
        "chat:{general}:bans",
        "bo",
        JSON.stringify({
          userId: "bo",
          room: "general",
          until: null,
          by: { id: "mo", name: "Mo" },
          at: Date.now(),
        }),
      );
    } finally {
      client.destroy();
    }
    await redis.restart();
    assert.deepEqual(await bo.nextOfType("left"), {
      type: "left",
      room: "general",
      reason: "banned",
    });
  },
});
