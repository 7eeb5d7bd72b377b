import assert from "node:assert/strict";
import { ChatClient } from "./client.ts";
import type { ClientEvent } from "./options.ts";
import { ChatError } from "./errors.ts";
import { MemoryOutbox } from "./outbox.ts";
import type { ChatMessage } from "./types.ts";
import { withTimeout } from "../testing/async.ts";
import { ManualClock } from "../testing/manual_clock.ts";
import { startServer } from "../testing/server.ts";
import { signTestToken, TEST_SECRET } from "../testing/tokens.ts";
import { TcpProxy } from "../testing/tcp_proxy.ts";

/** Retries within tens of milliseconds, so a reconnect test does not idle. */
const QUICK = { initialDelay: 20, maxDelay: 100 };

/** The next event of `type` the client reports that satisfies `test`. */
function nextEvent<T extends ClientEvent["type"]>(
  client: ChatClient,
  type: T,
  test: (event: Extract<ClientEvent, { type: T }>) => boolean = () => true,
): Promise<Extract<ClientEvent, { type: T }>> {
  const found = Promise.withResolvers<Extract<ClientEvent, { type: T }>>();
  const off = client.on(type, (event) => {
    if (test(event)) found.resolve(event);
  });
  return withTimeout(found.promise, `a "${type}" event`).finally(off);
}

/** Resolves once `room` has delivered `count` messages to `into`. */
function collect(
  room: ReturnType<ChatClient["join"]>,
  count: number,
  into: ChatMessage[] = [],
): Promise<ChatMessage[]> {
  const done = Promise.withResolvers<ChatMessage[]>();
  room.on("message", (message) => {
    into.push(message);
    if (into.length === count) done.resolve(into);
  });
  return withTimeout(done.promise, `${count} messages`);
}

Deno.test("ChatClient delivers each message once and in order across a socket cut mid-burst", async () => {
  // A resume returns at most 5 messages: the client pages back for the rest.
  await using server = startServer({
    historyLimit: 5,
    rateLimit: 1000,
    rateBurst: 1000,
  });
  await using proxy = new TcpProxy(server.port);
  await using reader = new ChatClient(`ws://127.0.0.1:${proxy.port}/ws`, {
    name: "Reader",
    backoff: QUICK,
  });
  await using writer = new ChatClient(server.wsUrl, { name: "Writer" });
  const room = reader.join("general");
  const joins: boolean[] = [];
  room.on("joined", (event) => joins.push(event.resumed));
  await room.ready;
  const total = 60;
  const received: ChatMessage[] = [];
  const all = collect(room, total, received);
  room.on("message", () => {
    // Mid-burst: the writer keeps going while the reader is away.
    if (received.length === 10) {
      proxy.refuse(true);
      proxy.cut();
    }
  });
  const outbox = writer.join("general");
  const texts = Array.from({ length: total }, (_, i) => `message ${i + 1}`);
  const acks = texts.map((text) => outbox.send(text));
  await acks[44];
  proxy.refuse(false);
  await Promise.all(acks);
  await all;

  assert.deepEqual(received.map((message) => message.text), texts);
  assert.deepEqual(
    received.map((message) => message.id),
    texts.map((_, i) => i + 1),
  );
  assert.deepEqual(joins, [false, true], "the second join resumed");
  assert.equal(reader.state, "open");
});

Deno.test("ChatClient re-sends an unacknowledged message with the same nonce after a reconnect", async () => {
  await using server = startServer();
  await using proxy = new TcpProxy(server.port);
  await using observer = new ChatClient(server.wsUrl, { name: "Observer" });
  const watched = observer.join("general");
  const seen: ChatMessage[] = [];
  const stored = collect(watched, 1, seen);
  await watched.ready;
  await using client = new ChatClient(`ws://127.0.0.1:${proxy.port}/ws`, {
    name: "Ada",
    backoff: QUICK,
  });
  const room = client.join("general");
  await room.ready;

  // The message reaches the server and is stored, but its ack is lost.
  proxy.hold(true);
  const sent = room.send("only once");
  await stored;
  assert.deepEqual(room.pending.map((entry) => entry.status), ["sending"]);
  proxy.cut();
  proxy.hold(false);

  const ack = await withTimeout(sent, "the ack after reconnecting");
  assert.equal(ack.duplicate, true, "the server knew the nonce");
  assert.equal(ack.id, seen[0]!.id);
  assert.deepEqual(room.pending, []);
  const page = await watched.history({ before: ack.id + 1 });
  assert.deepEqual(page.messages.map((message) => message.text), [
    "only once",
  ]);
});

Deno.test("ChatClient waits out the back-off schedule between failed attempts, and starts over once connected", async () => {
  await using server = startServer();
  await using proxy = new TcpProxy(server.port);
  proxy.refuse(true);
  const clock = new ManualClock();
  const randoms = [1, 0, 0.5, 1, 1];
  await using client = new ChatClient(`ws://127.0.0.1:${proxy.port}/ws`, {
    clock,
    backoff: { random: () => randoms.shift() ?? 0 },
  });
  const delays = [];
  for (let attempt = 1; attempt <= 5; attempt++) {
    const state = await nextEvent(
      client,
      "state",
      (event) => event.state === "reconnecting" && event.attempt === attempt,
    );
    delays.push(state.delay!);
    // Nothing happens until the back-off timer fires.
    assert.equal(client.state, "reconnecting");
    if (attempt < 5) clock.fire(await clock.timer(state.delay!));
  }
  // 1 s, 2 s, 4 s, 8 s… randomised by ±50 % and capped at 5 s.
  assert.deepEqual(delays, [1500, 1000, 4000, 5000, 5000]);

  proxy.refuse(false);
  const open = nextEvent(client, "state", (event) => event.state === "open");
  clock.fire(await clock.timer(5000));
  await open;
  proxy.cut();
  const again = await nextEvent(
    client,
    "state",
    (event) => event.state === "reconnecting",
  );
  assert.equal(again.attempt, 1);
  assert.equal(again.delay, 500, "the schedule starts over after success");
});

Deno.test("ChatClient.close() closes the socket and ends its rooms, iterators and waiting requests", async () => {
  await using server = startServer();
  const outbox = new MemoryOutbox();
  const client = new ChatClient(server.wsUrl, { name: "Ada", outbox });
  const room = client.join("general");
  const events = room.events();
  const clientEvents = client.events();
  await room.ready;
  const isClosed = (error: unknown) =>
    error instanceof ChatError && error.code === "closed";
  const sent = assert.rejects(room.send("never acknowledged"), isClosed);
  const ping = assert.rejects(client.ping(), isClosed);
  await client.close();
  await sent;
  await ping;
  assert.equal(client.state, "closed");
  assert.equal(room.status, "left");
  const seen = await withTimeout(
    Array.fromAsync(events, (event) => event.type),
    "the room's events to end",
  );
  assert.deepEqual(seen.slice(0, 1), ["joined"]);
  const states = await withTimeout(
    Array.fromAsync(clientEvents, (event) => event.type),
    "the client's events to end",
  );
  assert.ok(states.includes("state"));
  assert.throws(() => client.join("dev"), isClosed);
  assert.deepEqual(
    outbox.entries().map((entry) => entry.text),
    ["never acknowledged"],
    "what was not acknowledged stays in the outbox",
  );
  await client.close();
});

Deno.test("ChatClient is disposable with using and await using", async () => {
  await using server = startServer();
  let kept: ChatClient;
  {
    using client = new ChatClient(server.wsUrl);
    kept = client;
    await client.join("general").ready;
  }
  assert.equal(kept.state, "closed");
  // The synchronous form does not wait for the socket; close() does.
  await withTimeout(kept.close(), "the socket to close");
  const client = new ChatClient(server.wsUrl);
  await client.join("general").ready;
  await withTimeout(client[Symbol.asyncDispose](), "the socket to close");
  assert.equal(client.state, "closed");
});

Deno.test("ChatClient paces a burst of 40 sends to the server's rate limit, in order, with none refused", async () => {
  await using server = startServer({ rateLimit: 10, rateBurst: 20 });
  await using client = new ChatClient(server.wsUrl, { name: "Ada" });
  const room = client.join("general");
  const texts = Array.from({ length: 40 }, (_, i) => `burst ${i + 1}`);
  const acks = await Promise.all(texts.map((text) => room.send(text)));
  assert.deepEqual(
    acks.map((ack) => ack.id),
    texts.map((_, i) => i + 1),
  );
  assert.equal(server.handler.metrics.rateLimited.value(), 0);
});

Deno.test("ChatClient retries a rate-limited send by itself, keeping the order", async () => {
  await using server = startServer({
    rateLimit: 10,
    rateBurst: 5,
    rateLimitStrikes: 1000,
  });
  // A clock running ten times too fast makes the pacer misjudge the budget,
  // as a network stall that delivers a backlog at once would.
  const start = Date.now();
  const fast = {
    now: () => start + (Date.now() - start) * 10,
    setTimeout: (callback: () => void, delay: number) =>
      setTimeout(callback, delay / 10),
    clearTimeout: (handle: unknown) => clearTimeout(handle as number),
  };
  await using client = new ChatClient(server.wsUrl, {
    name: "Ada",
    clock: fast,
  });
  const room = client.join("general");
  const texts = Array.from({ length: 15 }, (_, i) => `fast ${i + 1}`);
  const acks = await Promise.all(texts.map((text) => room.send(text)));
  assert.ok(server.handler.metrics.rateLimited.value() > 0, "some refused");
  assert.deepEqual(
    acks.map((ack) => ack.id),
    texts.map((_, i) => i + 1),
  );
});

Deno.test("ChatClient probes the socket when the browser is back online, and reconnects when it is dead", async () => {
  await using server = startServer();
  await using proxy = new TcpProxy(server.port);
  await using client = new ChatClient(`ws://127.0.0.1:${proxy.port}/ws`, {
    name: "Ada",
    backoff: QUICK,
    probeTimeout: 100,
  });
  const room = client.join("general");
  await room.ready;

  // Alive: the probe's pong comes back and nothing changes.
  const states: string[] = [];
  client.on("state", (event) => states.push(event.state));
  globalThis.dispatchEvent(new Event("offline"));
  globalThis.dispatchEvent(new Event("online"));
  assert.ok((await client.ping()) >= 0);
  assert.deepEqual(states, []);

  // Silent: the pong never comes, so the socket is given up and replaced.
  proxy.hold(true);
  const givenUp = nextEvent(client, "state", (event) => event.code === 4000);
  globalThis.dispatchEvent(new Event("online"));
  await givenUp;
  proxy.cut();
  proxy.hold(false);
  await nextEvent(client, "state", (event) => event.state === "open");
  const ack = await room.send("after the probe");
  assert.equal(ack.duplicate, false);
});

Deno.test("ChatClient asks its token provider again on each attempt, reporting a failure and backing off", async () => {
  await using server = startServer();
  const clock = new ManualClock();
  let calls = 0;
  await using client = new ChatClient(server.wsUrl, {
    clock,
    backoff: { random: () => 0.5 },
    token: () => {
      calls++;
      throw new Error("Signed out");
    },
  });
  const [failed, waiting] = await Promise.all([
    nextEvent(client, "error"),
    nextEvent(client, "state", (event) => event.state === "reconnecting"),
  ]);
  assert.equal(failed.error.code, "unauthorized");
  assert.equal((failed.error.cause as Error).message, "Signed out");
  assert.equal(waiting.delay, 1000);
  assert.equal(calls, 1);
  const again = nextEvent(client, "error");
  clock.fire(await clock.timer(1000));
  await again;
  assert.equal(calls, 2);
});

Deno.test("ChatClient signs in with its token and fetches a fresh one before expiry, on the same connection", async () => {
  const ttlSeconds = 2;
  await using server = startServer({
    authSecret: TEST_SECRET,
    authClockSkew: 0,
  });
  const issued: number[] = [];
  await using client = new ChatClient(server.wsUrl, {
    refreshAhead: 1000,
    token: () => {
      const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
      issued.push(exp * 1000);
      return signTestToken({ sub: "auth0|ada", name: "Ada", exp });
    },
  });
  const signedIn = await nextEvent(client, "user", (e) => !!e.identity);
  assert.deepEqual(signedIn.identity, {
    id: "auth0|ada",
    name: "Ada",
    guest: false,
    role: "member",
  });
  await nextEvent(client, "user", () => issued.length === 2);
  // Past the first token's expiry the server would close its connection
  // (4440) had the refresh not reached it.
  const pastFirstExpiry = issued[0]! + 500 - Date.now();
  await new Promise((resolve) => setTimeout(resolve, pastFirstExpiry));
  const ack = await client.join("general").send("still signed in");
  assert.equal(ack.duplicate, false);
  assert.equal(server.handler.metrics.serverCloses.value({ code: "4440" }), 0);
  assert.equal(
    server.handler.metrics.connectionsOpened.value({ protocol: "json" }),
    1,
  );
});

Deno.test("ChatClient joins a direct room by its exact name, user ids' case kept", async () => {
  await using server = startServer({ authSecret: TEST_SECRET });
  const signedInAs = (sub: string) => () => signTestToken({ sub, name: sub });
  await using ada = new ChatClient(server.wsUrl, { token: signedInAs("Ada") });
  await using bo = new ChatClient(server.wsUrl, { token: signedInAs("bo") });
  const direct = "dm:Ada:bo";
  const adaRoom = ada.join(direct);
  const boRoom = bo.join(direct);
  assert.equal(adaRoom.name, direct);
  await Promise.all([adaRoom.ready, boRoom.ready]);
  const received = collect(boRoom, 1);
  await adaRoom.send("just between us");
  const [message] = await received;
  assert.equal(message!.text, "just between us");
  assert.equal(message!.userId, "Ada");
});

/** Resolves once the client's connection is open. */
async function opened(client: ChatClient): Promise<void> {
  if (client.state === "open") return;
  await nextEvent(client, "state", (event) => event.state === "open");
}

Deno.test("ChatClient.directory() lists the public rooms where someone is present, with member counts and last activity", async () => {
  await using server = startServer();
  await using ada = new ChatClient(server.wsUrl, { name: "Ada" });
  await using bo = new ChatClient(server.wsUrl, { name: "Bo" });
  await using grace = new ChatClient(server.wsUrl, { name: "Grace" });
  await ada.join("general").ready;
  const ack = await ada.join("dev").send("hi");
  await bo.join("general").ready;
  await opened(grace);
  assert.deepEqual(await withTimeout(grace.directory(), "the directory"), [
    { name: "general", memberCount: 2, lastActivity: null },
    { name: "dev", memberCount: 1, lastActivity: ack.ts },
  ]);
});

Deno.test("ChatClient.directory() is paced to the server's rate limit: a burst is answered in full, none refused", async () => {
  await using server = startServer({ rateLimit: 50, rateBurst: 2 });
  await using client = new ChatClient(server.wsUrl, { name: "Ada" });
  await client.join("general").ready;
  const listings = await withTimeout(
    Promise.all(Array.from({ length: 6 }, () => client.directory())),
    "six directories",
  );
  for (const rooms of listings) {
    assert.deepEqual(rooms.map((room) => room.name), ["general"]);
  }
  assert.equal(server.handler.metrics.rateLimited.value(), 0);
});
