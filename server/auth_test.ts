import assert from "node:assert/strict";
import { exportJWK, exportSPKI, generateKeyPair } from "jose";
import type { Member } from "../chat/events.ts";
import { directRoom } from "../chat/rooms.ts";
import { withTimeout } from "../testing/async.ts";
import {
  ask,
  connect,
  connectJson,
  nextMessages,
  sendAndAck,
  signedIn,
  type TestClient,
  texts,
} from "../testing/client.ts";
import { serveJwks } from "../testing/jwks.ts";
import { SKIP_REDIS, startRedisCluster } from "../testing/redis.ts";
import { startKvInstances } from "../testing/kv_instances.ts";
import { startServer } from "../testing/server.ts";
import { spawnServer } from "../testing/server_process.ts";
import { signTestToken, TEST_SECRET } from "../testing/tokens.ts";
import { createHandler } from "./handler.ts";

const now = () => Math.floor(Date.now() / 1000);

function names(members: readonly Member[] | undefined): string[] {
  return (members ?? []).map((member) => member.name);
}

Deno.test("auth: a token signs the connection in, and its messages and presence carry the user id", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  await using client = await connect(server.wsUrl, { json: true });
  const hello = await client.nextOfType("hello");
  assert.equal(hello.authRequired, true);
  assert.equal(hello.guest, true);
  const token = await signTestToken({
    sub: "auth0|ada",
    name: "Ada",
    role: "moderator",
  });
  const reply = await ask(client, { type: "auth", token });
  assert.equal(reply.type, "authenticated");
  assert.deepEqual(reply.type === "authenticated" && reply.user, {
    id: "auth0|ada",
    name: "Ada",
    role: "moderator",
    guest: false,
  });
  assert(reply.type === "authenticated" && reply.expiresAt! > Date.now());

  client.sendJson({ type: "join", room: "general" });
  await client.nextOfType("joined");
  const { client: bo } = await signedIn(server.wsUrl, { sub: "bo" });
  await using _bo = bo;
  const arrival = await client.nextOfType("presence");
  assert.deepEqual(arrival.joined, [{ id: "bo", name: "bo" }]);
  await sendAndAck(client, "general", "hello", "n1");
  const [message] = await nextMessages(bo, 1);
  assert.deepEqual(
    { user: message!.user, userId: message!.userId, guest: message!.guest },
    { user: "Ada", userId: "auth0|ada", guest: undefined },
  );
});

Deno.test("GET /config.json tells the web UI where to get a token and whether guests may stay", async () => {
  await using handler = createHandler({
    config: {
      authSecret: TEST_SECRET,
      authTokenUrl: "https://app.example/chat-token",
    },
  });
  const res = await handler(new Request("http://localhost/config.json"));
  assert.deepEqual(await res.json(), {
    tokenUrl: "https://app.example/chat-token",
    guests: "off",
  });
  await using open = createHandler();
  const guests = await open(new Request("http://localhost/config.json"));
  assert.deepEqual(await guests.json(), { tokenUrl: null, guests: "on" });
});

Deno.test("auth: a token in the URL signs in a JSON or plain-text client; without one it is closed with 4401", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  const token = await signTestToken({ sub: "ada", name: "Ada" });
  await using json = await connect(`${server.wsUrl}?token=${token}`, {
    json: true,
  });
  const hello = await json.nextOfType("hello");
  assert.deepEqual(
    [hello.userId, hello.user, hello.guest, hello.authRequired],
    ["ada", "Ada", false, false],
  );
  await using plain = await connect(`${server.wsUrl}?token=${token}`);
  await using watcher = (await signedIn(server.wsUrl, { sub: "bo" })).client;
  plain.socket.send("from the tutorial client");
  const [message] = await nextMessages(watcher, 1);
  assert.equal(message!.userId, "ada");
  await using anonymous = await connect(server.wsUrl);
  assert.equal((await anonymous.closed).code, 4401);
});

Deno.test("auth: refused tokens get unauthorized or token_expired and, with guests off, close 4401", async (t) => {
  await using server = startServer({
    authSecret: TEST_SECRET,
    authIssuer: "https://app.example",
    authAudience: "chat",
    authMaxTokenBytes: 1024,
    authClockSkew: 5,
  });
  const good = { sub: "ada", iss: "https://app.example", aud: "chat" };
  const valid = await signTestToken(good);
  const [header, , signature] = valid.split(".");
  const forged = `${header}.${
    btoa(JSON.stringify({ ...good, sub: "admin", exp: now() + 60 }))
      .replace(/=+$/, "")
  }.${signature}`;
  const cases: [string, string, string][] = [
    [
      "expired",
      await signTestToken({ ...good, exp: now() - 60 }),
      "token_expired",
    ],
    [
      "not yet valid",
      await signTestToken({ ...good, nbf: now() + 60 }),
      "unauthorized",
    ],
    [
      "wrong issuer",
      await signTestToken({ ...good, iss: "https://evil.example" }),
      "unauthorized",
    ],
    [
      "wrong audience",
      await signTestToken({ ...good, aud: "other" }),
      "unauthorized",
    ],
    ["tampered", forged, "unauthorized"],
    [
      "another secret",
      await signTestToken(good, {
        key: new TextEncoder().encode("x".repeat(40)),
      }),
      "unauthorized",
    ],
    [
      "alg none",
      `${btoa('{"alg":"none"}').replace(/=+$/, "")}.${
        btoa(JSON.stringify(good)).replace(/=+$/, "")
      }.`,
      "unauthorized",
    ],
    [
      "oversized",
      await signTestToken({ ...good, pad: "x".repeat(2000) }),
      "unauthorized",
    ],
  ];
  for (const [name, token, code] of cases) {
    await t.step(name, async () => {
      await using client = await connect(server.wsUrl, { json: true });
      await client.nextOfType("hello");
      const reply = await ask(client, { type: "auth", token });
      assert.equal(reply.type === "error" && reply.code, code);
      assert(
        !JSON.stringify(reply).includes(token),
        "the reply repeats the token",
      );
      assert.equal((await client.closed).code, 4401);
    });
  }
});

Deno.test("auth: a refreshed token keeps the connection open past the first one's expiry", async () => {
  await using server = startServer({
    authSecret: TEST_SECRET,
    authClockSkew: 0,
  });
  const short = { sub: "ada", exp: now() + 2 };
  const { client: refreshed } = await signedIn(server.wsUrl, short);
  await using _refreshed = refreshed;
  const { client: stale } = await signedIn(server.wsUrl, short);
  await using _stale = stale;
  const reply = await ask(refreshed, {
    type: "auth",
    token: await signTestToken({ sub: "ada", exp: now() + 600 }),
  });
  assert.equal(reply.type, "authenticated");
  // The connection that kept its first token ends at its expiry...
  assert.equal((await stale.closed).code, 4440);
  // ...while the refreshed one still answers.
  assert.equal((await ask(refreshed, { type: "ping" })).type, "pong");
});

Deno.test("auth: at expiry a connection closes with 4440 and resumes with a new token, losing nothing", async () => {
  await using server = startServer({
    authSecret: TEST_SECRET,
    authClockSkew: 0,
  });
  const { client: sender } = await signedIn(server.wsUrl, { sub: "bo" });
  await using _sender = sender;
  const { client: ada, joined: [joined] } = await signedIn(server.wsUrl, {
    sub: "ada",
    exp: now() + 2,
  });
  await sendAndAck(sender, "general", "before", "1");
  assert.equal((await nextMessages(ada, 1))[0]!.text, "before");
  const lastId = (await nextMessages(sender, 1))[0]!.id;
  assert.equal((await ada.closed).code, 4440);
  await sendAndAck(sender, "general", "while away 1", "2");
  await sendAndAck(sender, "general", "while away 2", "3");
  const token = await signTestToken({ sub: "ada", exp: now() + 600 });
  await using again = await connect(server.wsUrl, { json: true });
  await again.nextOfType("hello");
  assert.equal(
    (await ask(again, { type: "auth", token })).type,
    "authenticated",
  );
  again.sendJson({
    type: "join",
    room: "general",
    since: lastId,
    epoch: joined!.epoch,
  });
  const resumed = await again.nextOfType("joined");
  assert.deepEqual(texts(resumed), [
    "while away 1",
    "while away 2",
  ]);
});

Deno.test("auth: guests may do all with on, only read with read-only, nothing with off", async (t) => {
  await t.step("on", async () => {
    await using server = startServer({ authSecret: TEST_SECRET, guests: "on" });
    const { client, hello } = await connectJson(`${server.wsUrl}?name=Gil`);
    await using _ = client;
    assert.equal(hello.authRequired, false);
    const ack = await sendAndAck(client, "general", "hi", "1");
    assert.equal(ack.duplicate, false);
  });
  await t.step("read-only", async () => {
    await using server = startServer({ guests: "read-only" });
    const { client: writer } = await connectJson(server.wsUrl);
    await using _writer = writer;
    const reply = await ask(writer, {
      type: "send",
      room: "general",
      text: "hi",
    });
    assert.equal(reply.type === "error" && reply.code, "read_only");
  });
  await t.step("off", async () => {
    await using server = startServer({
      authSecret: TEST_SECRET,
      guests: "off",
      authTimeout: 1,
    });
    await using client = await connect(server.wsUrl, { json: true });
    await client.nextOfType("hello");
    const reply = await ask(client, { type: "join", room: "general" });
    assert.equal(reply.type === "error" && reply.code, "auth_required");
    assert.equal((await ask(client, { type: "ping" })).type, "pong");
    const closed = await withTimeout(client.closed, "the sign-in deadline");
    assert.deepEqual([closed.code, closed.reason], [4401, "Sign-in required"]);

    await using guest = await connect(server.wsUrl, { json: true });
    await guest.nextOfType("hello");
    const refused = await ask(guest, {
      type: "auth",
      guestKey: "a guest key long enough",
    });
    assert.equal(refused.type === "error" && refused.code, "auth_required");
    assert.equal((await withTimeout(guest.closed, "the close")).code, 4401);
  });
});

Deno.test("auth: a guest cannot take the name of a verified user present in the room", async () => {
  await using server = startServer({ authSecret: TEST_SECRET, guests: "on" });
  const { client: ada } = await signedIn(server.wsUrl, {
    sub: "ada",
    name: "Ada",
  });
  await using _ada = ada;
  await using impostor = await connect(`${server.wsUrl}?name=ada`, {
    json: true,
  });
  await impostor.nextOfType("hello");
  const refused = await ask(impostor, { type: "join", room: "general" });
  assert.equal(refused.type === "error" && refused.code, "name_taken");
  const { client: guest } = await connectJson(`${server.wsUrl}?name=Gil`);
  await using _guest = guest;
  const rename = await ask(guest, { type: "set_name", name: "ADA" });
  assert.equal(rename.type === "error" && rename.code, "name_taken");
  const allowed = await ask(guest, { type: "set_name", name: "Ada Two" });
  assert.equal(allowed.type, "renamed");
});

Deno.test("auth: private and direct rooms open only to their users, on join, history and send", async () => {
  await using server = startServer({ authSecret: TEST_SECRET, guests: "on" });
  const dm = directRoom("ada", "bo");
  const { client: ada } = await signedIn(server.wsUrl, {
    sub: "ada",
    rooms: ["private-team-*"],
  }, ["private-team-ops", dm]);
  await using _ada = ada;
  const { client: bo, joined } = await signedIn(server.wsUrl, {
    sub: "bo",
  }, [dm]);
  await using _bo = bo;
  assert.deepEqual(names(joined[0]?.members), ["ada", "bo"]);
  await sendAndAck(ada, dm, "just us", "1");
  assert.equal((await nextMessages(bo, 1))[0]!.text, "just us");

  const { client: cy } = await signedIn(server.wsUrl, { sub: "cy" }, []);
  await using _cy = cy;
  const { client: guest } = await connectJson(server.wsUrl, []);
  await using _guest = guest;
  for (
    const [client, room] of [[cy, dm], [cy, "private-team-ops"], [
      guest,
      dm,
    ]] as const
  ) {
    const reply = await ask(client, { type: "join", room });
    assert.equal(reply.type === "error" && reply.code, "forbidden", room);
  }

  // A fresh token without the room takes the user out of it, and every
  // request on it is refused from then on.
  const refresh = await ask(ada, {
    type: "auth",
    token: await signTestToken({ sub: "ada", rooms: [] }),
  });
  assert.equal(refresh.type, "authenticated");
  const left = await ada.nextOfType("left");
  assert.deepEqual(left, {
    type: "left",
    room: "private-team-ops",
    reason: "forbidden",
  });
  for (
    const request of [
      { type: "send", room: "private-team-ops", text: "still here?" },
      { type: "history", room: "private-team-ops", before: 10 },
    ]
  ) {
    const reply = await ask(ada, request);
    assert.equal(reply.type === "error" && reply.code, "not_joined");
  }
  const rejoin = await ask(ada, { type: "join", room: "private-team-ops" });
  assert.equal(rejoin.type === "error" && rejoin.code, "forbidden");
});

Deno.test("auth: two users who share a name and a nonce both get their message stored", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  const { client: watcher } = await signedIn(server.wsUrl, { sub: "w" });
  await using _watcher = watcher;
  const { client: one } = await signedIn(server.wsUrl, {
    sub: "u1",
    name: "Sam",
  });
  await using _one = one;
  const { client: two } = await signedIn(server.wsUrl, {
    sub: "u2",
    name: "Sam",
  });
  await using _two = two;
  const first = await sendAndAck(one, "general", "from u1", "same");
  const second = await sendAndAck(two, "general", "from u2", "same");
  assert.equal(second.duplicate, false);
  assert.notEqual(first.id, second.id);
  const messages = await nextMessages(watcher, 2);
  assert.deepEqual(messages.map((message) => [message.userId, message.text]), [
    ["u1", "from u1"],
    ["u2", "from u2"],
  ]);
});

Deno.test("auth: one user holds at most CHAT_MAX_CONNECTIONS_PER_USER connections, counted once in presence", async () => {
  await using server = startServer({
    authSecret: TEST_SECRET,
    maxConnectionsPerUser: 2,
  });
  const tabs = [
    (await signedIn(server.wsUrl, { sub: "ada" })).client,
    (await signedIn(server.wsUrl, { sub: "ada" })).client,
  ];
  try {
    const { joined: [joined], client: bo } = await signedIn(server.wsUrl, {
      sub: "bo",
    });
    await using _bo = bo;
    assert.deepEqual(names(joined?.members), ["ada", "bo"]);
    await using third = await connect(server.wsUrl, { json: true });
    await third.nextOfType("hello");
    const reply = await ask(third, {
      type: "auth",
      token: await signTestToken({ sub: "ada" }),
    });
    assert.equal(reply.type === "error" && reply.code, "too_many_connections");
    assert.equal((await third.closed).code, 4429);
    const byUrl = await connect(
      `${server.wsUrl}?token=${await signTestToken({ sub: "ada" })}`,
      { json: true },
    );
    assert.equal((await byUrl.closed).code, 4429);
  } finally {
    for (const tab of tabs) await tab[Symbol.asyncDispose]();
  }
});

Deno.test("auth: no token ever reaches the server's log, accepted or refused, in a frame or the URL", async () => {
  await using server = await spawnServer(["--log-level", "debug"], {
    env: { CHAT_AUTH_SECRET: TEST_SECRET },
  });
  const wsUrl = server.url.replace("http", "ws") + "ws";
  const tokens = [
    await signTestToken({ sub: "ada" }),
    await signTestToken({ sub: "ada", exp: now() - 60 }),
    await signTestToken({ sub: "ada" }, {
      key: new TextEncoder().encode("y".repeat(40)),
    }),
  ];
  for (const token of tokens) {
    await using framed = await connect(wsUrl, { json: true });
    await framed.nextOfType("hello");
    await ask(framed, { type: "auth", token });
    await using byUrl = await connect(`${wsUrl}?token=${token}`, {
      json: true,
    });
    await byUrl.nextOfType("hello").catch(() => {});
  }
  await (await fetch(`${server.url}nowhere?token=${tokens[0]}`)).body?.cancel();
  await server[Symbol.asyncDispose]();
  const log = server.stderr();
  assert.match(log, /connection\.close/, "debug lines were written");
  for (const token of tokens) {
    for (const part of token.split(".")) {
      assert(!log.includes(part), "a token's part is in the log");
    }
  }
});

Deno.test("auth: a JWKS-keyed server follows key rotation and refuses an unknown key id", async () => {
  const first = await generateKeyPair("RS256", { extractable: true });
  const second = await generateKeyPair("ES256", { extractable: true });
  await using jwks = serveJwks([
    { ...await exportJWK(first.publicKey), kid: "k1", alg: "RS256" },
  ]);
  await using server = startServer({
    authJwksUrl: jwks.url,
    authJwksCooldown: 0,
  });
  const byFirst = await signTestToken({ sub: "ada" }, {
    key: first.privateKey,
    alg: "RS256",
    kid: "k1",
  });
  await using _ada = (await connectJson(server.wsUrl, [], { token: byFirst }))
    .client;
  const bySecond = await signTestToken({ sub: "bo" }, {
    key: second.privateKey,
    alg: "ES256",
    kid: "k2",
  });
  await using early = await connect(server.wsUrl, { json: true });
  await early.nextOfType("hello");
  const refused = await ask(early, { type: "auth", token: bySecond });
  assert.equal(refused.type === "error" && refused.code, "unauthorized");
  assert.equal((await early.closed).code, 4401);
  jwks.setKeys([
    { ...await exportJWK(second.publicKey), kid: "k2", alg: "ES256" },
  ]);
  await using bo = (await connectJson(server.wsUrl, [], { token: bySecond }))
    .client;
  assert.equal((await ask(bo, { type: "ping" })).type, "pong");
});

Deno.test("auth: an RSA-keyed server refuses an HS256 token made with its public key", async () => {
  const { publicKey, privateKey } = await generateKeyPair("RS256", {
    extractable: true,
  });
  const pem = await exportSPKI(publicKey);
  await using server = startServer({ authPublicKey: pem });
  const confused = await signTestToken({ sub: "admin" }, {
    key: new TextEncoder().encode(pem),
  });
  await using client = await connect(server.wsUrl, { json: true });
  await client.nextOfType("hello");
  const reply = await ask(client, { type: "auth", token: confused });
  assert.equal(reply.type === "error" && reply.code, "unauthorized");
  const good = await signTestToken({ sub: "ada" }, {
    key: privateKey,
    alg: "RS256",
  });
  await using ada = (await connectJson(server.wsUrl, [], { token: good }))
    .client;
  assert.equal((await ask(ada, { type: "ping" })).type, "pong");
});

/** Checks the identity rules on two instances that share a store. */
async function checkAcrossInstances(wsUrls: [string, string]): Promise<void> {
  const [a, b] = wsUrls;
  const clients: TestClient[] = [];
  try {
    const open = async (
      url: string,
      claims: Parameters<typeof signTestToken>[0],
      rooms = ["general"],
    ) => {
      const opened = await signedIn(url, claims, rooms);
      clients.push(opened.client);
      return opened;
    };
    const { client: ada } = await open(a, { sub: "ada", name: "Ada" });
    const { client: adaElsewhere } = await open(b, { sub: "ada", name: "Ada" });
    const { client: imitator } = await open(b, { sub: "u2", name: "Ada" });
    const { joined: [joined] } = await open(a, { sub: "bo" });
    assert.deepEqual(
      joined!.members.map((member) => [member.id, member.name]),
      [["ada", "Ada"], ["u2", "Ada"], ["bo", "bo"]],
    );
    const first = await sendAndAck(ada, "general", "once", "x");
    const again = await sendAndAck(adaElsewhere, "general", "once", "x");
    assert.deepEqual([again.id, again.duplicate], [first.id, true]);
    const other = await sendAndAck(imitator, "general", "mine", "x");
    assert.equal(other.duplicate, false);
    const { client: cy } = await open(b, { sub: "cy" }, []);
    const reply = await ask(cy, { type: "join", room: "private-team" });
    assert.equal(reply.type === "error" && reply.code, "forbidden");
  } finally {
    for (const client of clients) await client[Symbol.asyncDispose]();
  }
}

Deno.test({
  name:
    "auth: through Redis, two instances count a user once, keep users' nonces apart and guard private rooms",
  ignore: SKIP_REDIS,
  async fn() {
    await using cluster = await startRedisCluster(2, [
      "--auth-secret",
      TEST_SECRET,
    ]);
    await checkAcrossInstances([cluster.wsUrls[0]!, cluster.wsUrls[1]!]);
  },
});

Deno.test("auth: through Deno KV, two isolates count a user once, keep users' nonces apart and guard private rooms", async () => {
  await using isolates = await startKvInstances(2, { authSecret: TEST_SECRET });
  await checkAcrossInstances([isolates.wsUrls[0]!, isolates.wsUrls[1]!]);
});
