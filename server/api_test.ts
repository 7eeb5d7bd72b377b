import assert from "node:assert/strict";
import { callApi, errorCode, TEST_API_KEY } from "../testing/api_client.ts";
import { withTimeout } from "../testing/async.ts";
import { sendAndAck, signedIn } from "../testing/client.ts";
import { SKIP_REDIS, startRedisCluster } from "../testing/redis.ts";
import { startServer } from "../testing/server.ts";
import { spawnServer } from "../testing/server_process.ts";
import { TEST_SECRET } from "../testing/tokens.ts";

const settings = { apiKey: TEST_API_KEY, authSecret: TEST_SECRET };

Deno.test("API: a missing or wrong key gets 401 with a Bearer challenge; the right one is let in", async () => {
  await using server = startServer(settings);
  for (const key of [null, "wrong", `${TEST_API_KEY}x`, ""]) {
    const answer = await callApi(server.origin, "GET", "/api/rooms", { key });
    assert.equal(answer.status, 401, String(key));
    assert.equal(errorCode(answer), "unauthorized");
    assert.match(answer.headers.get("www-authenticate") ?? "", /^Bearer/);
  }
  const basic = await callApi(server.origin, "GET", "/api/rooms", {
    key: null,
    headers: { authorization: `Basic ${btoa(`api:${TEST_API_KEY}`)}` },
  });
  assert.equal(basic.status, 401);
  assert.equal((await callApi(server.origin, "GET", "/api/rooms")).status, 200);
  const document = await callApi(server.origin, "GET", "/api/openapi.json", {
    key: null,
  });
  assert.equal(document.status, 200);
});

Deno.test("API: without CHAT_API_KEY it is off, and /api/ answers 404", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  for (const path of ["/api/rooms", "/api/openapi.json", "/api"]) {
    const answer = await callApi(server.origin, "GET", path);
    assert.equal(answer.status, 404, path);
    assert.equal(errorCode(answer), "not_found");
  }
});

Deno.test("API: bad calls get their status and a JSON error code", async (t) => {
  await using server = startServer({ ...settings, apiMaxBodyBytes: 1024 });
  const cases: [string, string, RequestInit, number, string][] = [
    [
      "too large",
      "/api/rooms/general/messages",
      {
        method: "POST",
        body: JSON.stringify({ text: "x".repeat(2000) }),
        headers: { "content-type": "application/json" },
      },
      413,
      "payload_too_large",
    ],
    [
      "not JSON",
      "/api/rooms/general/messages",
      {
        method: "POST",
        body: "text=hi",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      },
      415,
      "unsupported_media_type",
    ],
    [
      "broken JSON",
      "/api/rooms/general/messages",
      {
        method: "POST",
        body: "{",
        headers: { "content-type": "application/json" },
      },
      400,
      "bad_json",
    ],
    ["unknown path", "/api/nothing", { method: "GET" }, 404, "not_found"],
    [
      "wrong method",
      "/api/rooms",
      { method: "POST" },
      405,
      "method_not_allowed",
    ],
    [
      "bad room",
      "/api/rooms/No%20Spaces/messages",
      { method: "GET" },
      400,
      "invalid_room",
    ],
    [
      "bad id",
      "/api/rooms/general/messages/x",
      {
        method: "DELETE",
      },
      400,
      "bad_request",
    ],
    ["bad limit", "/api/rooms?limit=0", { method: "GET" }, 400, "bad_request"],
    [
      "no text",
      "/api/rooms/general/messages",
      {
        method: "POST",
        body: "{}",
        headers: { "content-type": "application/json" },
      },
      400,
      "bad_request",
    ],
    [
      "missing message",
      "/api/rooms/general/messages/99",
      {
        method: "DELETE",
      },
      404,
      "not_found",
    ],
    ["no ban to lift", "/api/bans/bo", { method: "DELETE" }, 404, "not_found"],
  ];
  for (const [name, path, init, status, code] of cases) {
    await t.step(name, async () => {
      const response = await fetch(`${server.origin}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${TEST_API_KEY}`,
          ...init.headers as Record<string, string>,
        },
      });
      const body = await response.json();
      assert.equal(response.status, status);
      assert.equal(body.error.code, code);
      assert.equal(typeof body.error.message, "string");
      if (status === 405) assert.equal(response.headers.get("allow"), "GET");
    });
  }
});

Deno.test("API: publish posts once per Idempotency-Key, marked as a bot, to every member", async () => {
  await using server = startServer(settings);
  await using bo = (await signedIn(server.wsUrl, { sub: "bo" })).client;
  const call = () =>
    callApi(server.origin, "POST", "/api/rooms/general/messages", {
      body: { text: "Deploy finished", from: { id: "bot:ci", name: "CI" } },
      headers: { "idempotency-key": "deploy-42" },
    });
  const first = await call();
  const again = await call();
  assert.equal(first.status, 201);
  assert.equal(again.status, 200);
  assert.deepEqual(again.body, { ...first.body as object, duplicate: true });
  const system = await callApi(
    server.origin,
    "POST",
    "/api/rooms/general/messages",
    {
      body: { text: "Maintenance at noon" },
    },
  );
  const messages = [
    await bo.nextOfType("message"),
    await bo.nextOfType("message"),
  ];
  assert.deepEqual(
    messages.map(({ text, user, userId, bot }) => [text, user, userId, bot]),
    [
      ["Deploy finished", "CI", "bot:ci", true],
      ["Maintenance at noon", "System", "system", true],
    ],
  );
  assert.equal(system.status, 201);
});

Deno.test("API: history, presence and rooms read what the room holds and who is in it", async () => {
  await using server = startServer(settings);
  await using ada = (await signedIn(server.wsUrl, {
    sub: "ada",
    name: "Ada",
    rooms: ["private-team"],
  }, ["general", "private-team"])).client;
  const { id } = await sendAndAck(ada, "general", "one", "s1");
  const { ts } = await sendAndAck(ada, "general", "two", "s2");
  const page = await callApi(
    server.origin,
    "GET",
    `/api/rooms/general/messages?limit=1`,
  );
  const body = page.body as { messages: { text: string }[]; hasMore: boolean };
  assert.deepEqual([body.messages.map((m) => m.text), body.hasMore], [
    ["two"],
    true,
  ]);
  const older = await callApi(
    server.origin,
    "GET",
    `/api/rooms/general/messages?before=${id + 1}`,
  );
  assert.deepEqual((older.body as typeof body).messages.map((m) => m.text), [
    "one",
  ]);
  const presence = await callApi(
    server.origin,
    "GET",
    "/api/rooms/general/presence",
  );
  assert.deepEqual(presence.body, {
    members: [{ id: "ada", name: "Ada" }],
    memberCount: 1,
  });
  const rooms = await callApi(server.origin, "GET", "/api/rooms");
  // The host application sees every room, private and direct ones too.
  assert.deepEqual(rooms.body, {
    rooms: [
      { room: "general", memberCount: 1, lastActivity: ts },
      { room: "private-team", memberCount: 1, lastActivity: null },
    ],
  });
});

Deno.test("API: edit and delete change any message for every member, and the record says who", async () => {
  await using server = startServer(settings);
  await using ada = (await signedIn(server.wsUrl, { sub: "ada" })).client;
  const { id } = await sendAndAck(ada, "general", "spam", "s1");
  const by = { id: "admin-7", name: "Helpdesk" };
  const path = `/api/rooms/general/messages/${id}`;
  const edited = await callApi(server.origin, "PATCH", path, {
    body: { text: "[removed link]", by },
  });
  assert.equal(edited.status, 200);
  const removed = await callApi(server.origin, "DELETE", path);
  assert.equal(removed.status, 200);
  const edit = await ada.nextOfType("edit");
  const removal = await ada.nextOfType("delete");
  assert.deepEqual(
    [edit.text, edit.userId, edit.bot, removal.target, removal.userId],
    ["[removed link]", "admin-7", true, id, "api"],
  );
  const record = await callApi(
    server.origin,
    "GET",
    "/api/moderation?userId=ada",
  );
  const { records } = record.body as {
    records: { action: string; by: { id: string }; messageId: number }[];
  };
  assert.deepEqual(
    records.map((r) => [r.action, r.by.id, r.messageId]),
    [["delete", "api", id], ["edit", "admin-7", id]],
  );
});

Deno.test("API: ban, kick and unban act on the user's connections at once, and are recorded", async () => {
  await using server = startServer(settings);
  await using bo =
    (await signedIn(server.wsUrl, { sub: "bo" }, ["general", "dev"]))
      .client;
  const kicked = await callApi(server.origin, "POST", "/api/rooms/dev/kicks", {
    body: { userId: "bo", reason: "off topic" },
  });
  assert.equal(kicked.status, 200);
  assert.deepEqual(await bo.nextOfType("left"), {
    type: "left",
    room: "dev",
    reason: "kicked",
  });
  const banned = await callApi(
    server.origin,
    "PUT",
    "/api/rooms/general/bans/bo",
    {
      body: { duration: 3600, reason: "spam" },
    },
  );
  assert.equal(banned.status, 200);
  assert.equal((banned.body as { reason: string }).reason, "spam");
  assert.deepEqual(await bo.nextOfType("left"), {
    type: "left",
    room: "general",
    reason: "banned",
  });
  const list = await callApi(server.origin, "GET", "/api/rooms/general/bans");
  assert.deepEqual(
    (list.body as { bans: { userId: string }[] }).bans.map((b) => b.userId),
    ["bo"],
  );
  assert.equal(
    (await callApi(server.origin, "DELETE", "/api/rooms/general/bans/bo"))
      .status,
    200,
  );
  assert.deepEqual(
    (await callApi(server.origin, "GET", "/api/rooms/general/bans")).body,
    { bans: [] },
  );
  const record = await callApi(server.origin, "GET", "/api/moderation?limit=2");
  const page = record.body as { records: { action: string }[]; next: string };
  assert.deepEqual(page.records.map((r) => r.action), ["unban", "ban"]);
  const rest = await callApi(
    server.origin,
    "GET",
    `/api/moderation?before=${encodeURIComponent(page.next)}`,
  );
  assert.deepEqual(
    (rest.body as typeof page).records.map((r) => r.action),
    ["kick"],
  );
});

Deno.test({
  name:
    "API: through Redis, a disconnect or a server-wide ban called on one instance reaches the user's connections on another",
  ignore: SKIP_REDIS,
  async fn() {
    await using cluster = await startRedisCluster(2, [
      "--auth-secret",
      TEST_SECRET,
      "--api-key",
      TEST_API_KEY,
    ]);
    const origin = cluster.urls[0]!.replace(/\/$/, "");
    const other = cluster.wsUrls[1]!;
    await using bo = (await signedIn(other, { sub: "bo" })).client;
    await using cy = (await signedIn(other, { sub: "cy" })).client;
    assert.equal(
      (await callApi(origin, "PUT", "/api/bans/cy", { body: {} })).status,
      200,
    );
    assert.equal((await cy.nextOfType("left")).reason, "banned");
    const answer = await callApi(origin, "POST", "/api/users/bo/disconnect", {
      body: { reason: "logged out" },
    });
    assert.equal(answer.status, 200);
    assert.equal((await withTimeout(bo.closed, "the close")).code, 4410);
  },
});

Deno.test("API: with CHAT_API_PORT it is served there alone, and never logs its key", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const apiPort = listener.addr.port;
  listener.close();
  await using server = await spawnServer([
    "--api-key",
    TEST_API_KEY,
    "--api-port",
    String(apiPort),
    "--log-level",
    "debug",
  ]);
  const main = server.url.replace(/\/$/, "");
  const onMain = await callApi(main, "GET", "/api/rooms");
  assert.equal(onMain.status, 404);
  const apiOrigin = `http://127.0.0.1:${apiPort}`;
  assert.equal((await callApi(apiOrigin, "GET", "/api/rooms")).status, 200);
  assert.equal(
    (await callApi(apiOrigin, "GET", "/api/rooms", { key: "guess" })).status,
    401,
  );
  assert.equal((await callApi(apiOrigin, "GET", "/healthz")).status, 404);
  assert(!server.stderr().includes(TEST_API_KEY), "the key is in the log");
});
