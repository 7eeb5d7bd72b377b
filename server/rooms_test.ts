import assert from "node:assert/strict";
import type { Member } from "../chat/events.ts";
import {
  connect,
  connectJson,
  nextMessages,
  sendAndAck,
  texts,
} from "../testing/client.ts";
import { startServer } from "../testing/server.ts";
import { spawnServer } from "../testing/server_process.ts";
import { openSilentPeer } from "../testing/wire.ts";

/** The names of a member list. */
function names(members: readonly Member[] | undefined): string[] {
  return (members ?? []).map((member) => member.name);
}

Deno.test("join/leave: messages reach only the members of their room", async () => {
  await using server = startServer();
  const { client: a } = await connectJson(server.wsUrl, ["general", "Dev"]);
  const { client: b } = await connectJson(server.wsUrl, ["dev"]);
  await using _a = a;
  await using _b = b;
  await sendAndAck(a, "general", "to general", "g1");
  await sendAndAck(a, "dev", "to dev", "d1");
  const [received] = await nextMessages(b, 1);
  assert.equal(received?.room, "dev");
  assert.equal(received?.text, "to dev");

  b.sendJson({ type: "leave", room: "dev" });
  assert.deepEqual(await b.nextOfType("left"), { type: "left", room: "dev" });
  assert.equal(server.handler.broker.subscriberCount("dev"), 1);
  b.sendJson({ type: "send", room: "dev", text: "x", nonce: "n" });
  assert.equal((await b.nextOfType("error")).code, "not_joined");
});

Deno.test("join: invalid rooms and requests get their documented error codes", async (t) => {
  await using server = startServer({ maxRooms: 2 });
  const { client } = await connectJson(server.wsUrl, ["general", "two"]);
  await using _ = client;
  const cases: [Record<string, unknown>, string][] = [
    [{ type: "join", room: "has space" }, "invalid_room"],
    [{ type: "join", room: "x".repeat(65) }, "invalid_room"],
    [{ type: "join", room: 5 }, "invalid_room"],
    [{ type: "join", room: "GENERAL" }, "already_joined"],
    [{ type: "join", room: "third" }, "too_many_rooms"],
    [{ type: "join", room: "third", since: -1 }, "bad_request"],
    [{ type: "leave", room: "elsewhere" }, "not_joined"],
    [{ type: "send", room: "elsewhere", text: "hi" }, "not_joined"],
    [{ type: "send", room: "no/slash", text: "hi" }, "invalid_room"],
    [{ type: "history", room: "general" }, "bad_request"],
    [{ type: "history", room: "general", before: 10, limit: 0 }, "bad_request"],
    [{ type: "history", room: "general", before: 1.5 }, "bad_request"],
    [{ type: "history", room: "elsewhere", before: 10 }, "not_joined"],
  ];
  for (const [request, code] of cases) {
    await t.step(JSON.stringify(request).slice(0, 60), async () => {
      client.sendJson({ ...request, nonce: "q" });
      const error = await client.nextOfType("error");
      assert.equal(error.code, code);
      assert.equal(error.nonce, "q");
    });
  }
});

Deno.test("join: history arrives first, then live messages, with no gap and no duplicate", async () => {
  await using server = startServer({ rateLimit: 10_000, rateBurst: 10_000 });
  const { client: sender } = await connectJson(server.wsUrl);
  await using _ = sender;
  const total = 300;
  await using client = await connect(server.wsUrl, { json: true });
  await client.nextOfType("hello");
  for (let i = 0; i < total; i++) {
    sender.sendJson({ type: "send", room: "general", text: `m${i}` });
    // Join while messages are still being stored and published.
    if (i === 100) client.sendJson({ type: "join", room: "general" });
  }
  const joined = await client.nextOfType("joined");
  const ids = joined.messages.map((message) => message.id);
  while (ids.at(-1) !== total) {
    ids.push((await client.nextOfType("message")).id);
  }
  const first = ids[0]!;
  assert.deepEqual(
    ids,
    Array.from({ length: ids.length }, (_, i) => first + i),
  );
  assert(joined.messages.length <= 100);
});

Deno.test("join with since: a client that was cut off gets exactly what it missed", async () => {
  await using server = startServer();
  const { client: sender } = await connectJson(server.wsUrl);
  await using _ = sender;
  const { client: reader } = await connectJson(server.wsUrl);
  for (let i = 0; i < 3; i++) {
    await sendAndAck(sender, "general", `before ${i}`, `b${i}`);
  }
  const seen = await nextMessages(reader, 3);
  const lastSeen = seen.at(-1)!.id;
  reader.socket.close();
  await reader.closed;

  for (let i = 0; i < 5; i++) {
    await sendAndAck(sender, "general", `missed ${i}`, `m${i}`);
  }
  await using again = await connect(server.wsUrl, { json: true });
  await again.nextOfType("hello");
  again.sendJson({ type: "join", room: "general", since: lastSeen });
  const joined = await again.nextOfType("joined");
  assert.equal(joined.truncated, false);
  assert.deepEqual(
    texts(joined),
    Array.from({ length: 5 }, (_, i) => `missed ${i}`),
  );
  await sendAndAck(sender, "general", "live", "live");
  const live = await again.nextOfType("message");
  assert.equal(live.text, "live");
  assert.equal(live.id, joined.messages.at(-1)!.id + 1);
});

Deno.test("join with since: a long absence gets the latest historyLimit, and history pages back to since", async () => {
  await using server = startServer({
    historyLimit: 4,
    rateLimit: 1000,
    rateBurst: 1000,
  });
  const { client: sender } = await connectJson(server.wsUrl);
  await using _ = sender;
  for (let i = 1; i <= 23; i++) {
    await sendAndAck(sender, "general", `m${i}`, `n${i}`);
  }
  await using again = await connect(server.wsUrl, { json: true });
  await again.nextOfType("hello");
  again.sendJson({ type: "join", room: "general", since: 3 });
  const joined = await again.nextOfType("joined");
  assert.deepEqual(joined.messages.map((m) => m.id), [20, 21, 22, 23]);
  assert.deepEqual([joined.hasMore, joined.truncated], [true, false]);
  // Live messages follow the page at once, while older ones are paged in.
  await sendAndAck(sender, "general", "live", "live");
  const live = await again.nextOfType("message");
  assert.equal(live.id, 24);
  const seen = joined.messages.map((m) => m.id);
  let hasMore = joined.hasMore;
  while (hasMore && seen[0]! > 4) {
    again.sendJson({ type: "history", room: "general", before: seen[0] });
    const page = await again.nextOfType("history");
    assert(page.messages.length <= 4);
    seen.unshift(...page.messages.map((m) => m.id).filter((id) => id > 3));
    hasMore = page.hasMore;
  }
  seen.push(live.id);
  assert.deepEqual(seen, Array.from({ length: 21 }, (_, i) => i + 4));
});

Deno.test("join: joined and history carry the room's epoch; a resume from another epoch gets the latest page, truncated", async () => {
  await using server = startServer({ historyLimit: 3 });
  const { client, joined: [joined] } = await connectJson(server.wsUrl);
  await using _ = client;
  const epoch = joined!.epoch;
  assert.match(epoch, /^\S{1,64}$/);
  for (let i = 1; i <= 5; i++) {
    await sendAndAck(client, "general", `m${i}`, `n${i}`);
  }
  client.sendJson({ type: "history", room: "general", before: 3 });
  assert.equal((await client.nextOfType("history")).epoch, epoch);

  const resume = async (from: string) => {
    await using again = await connect(server.wsUrl, { json: true });
    await again.nextOfType("hello");
    again.sendJson({ type: "join", room: "general", since: 3, epoch: from });
    return await again.nextOfType("joined");
  };
  const same = await resume(epoch);
  assert.deepEqual(
    [same.epoch, same.truncated, same.messages.map((m) => m.id)],
    [epoch, false, [4, 5]],
  );
  // Ids of another epoch mean nothing here: since 3 is not honoured.
  const other = await resume("elsewhere");
  assert.deepEqual(
    [other.epoch, other.truncated, other.messages.map((m) => m.id)],
    [epoch, true, [3, 4, 5]],
  );
  assert.equal(other.hasMore, true);
});

Deno.test("join and history: a page of large messages stops at the frame bound and says hasMore", async () => {
  await using server = startServer({
    historyLimit: 10,
    maxFrameBytes: 4096,
    rateLimit: 1000,
    rateBurst: 1000,
  });
  const { client: sender } = await connectJson(server.wsUrl);
  await using _ = sender;
  for (let i = 1; i <= 10; i++) {
    await sendAndAck(sender, "general", `${i} ${"x".repeat(1000)}`, `n${i}`);
  }
  const { client, joined: [joined] } = await connectJson(server.wsUrl);
  await using _client = client;
  const size = (messages: unknown[]) => JSON.stringify(messages).length;
  assert(size(joined!.messages) <= 4096, "the joined page is too large");
  assert.deepEqual(joined!.messages.map((m) => m.id), [8, 9, 10]);
  assert.equal(joined!.hasMore, true);
  const seen = joined!.messages.map((m) => m.id);
  let hasMore = true;
  while (hasMore) {
    client.sendJson({ type: "history", room: "general", before: seen[0] });
    const page = await client.nextOfType("history");
    assert(size(page.messages) <= 4096, "a history page is too large");
    seen.unshift(...page.messages.map((m) => m.id));
    hasMore = page.hasMore;
  }
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

Deno.test("join with since older than retention says truncated", async () => {
  await using server = startServer({ historyMaxMessages: 3 });
  const { client } = await connectJson(server.wsUrl);
  await using _ = client;
  for (let i = 0; i < 6; i++) {
    await sendAndAck(client, "general", `m${i}`, `n${i}`);
  }
  client.sendJson({ type: "join", room: "other" });
  await client.nextOfType("joined");
  await using late = await connect(server.wsUrl, { json: true });
  await late.nextOfType("hello");
  late.sendJson({ type: "join", room: "general", since: 1 });
  const joined = await late.nextOfType("joined");
  assert.equal(joined.truncated, true);
  assert.deepEqual(texts(joined), [
    "m3",
    "m4",
    "m5",
  ]);
  // Nothing older after since is left, and history agrees.
  assert.equal(joined.hasMore, false);
  late.sendJson({ type: "history", room: "general", before: 4 });
  const older = await late.nextOfType("history");
  assert.deepEqual([older.messages.length, older.hasMore], [0, false]);
});

Deno.test("send: the same nonce after a reconnect posts one message and acks its id", async () => {
  await using server = startServer();
  const { client: watcher } = await connectJson(server.wsUrl);
  await using _ = watcher;
  // A guest keeps its id across the reconnect with its key.
  const key = { guestKey: crypto.randomUUID() };
  const { client: first } = await connectJson(
    `${server.wsUrl}?name=Ada`,
    undefined,
    key,
  );
  const ack = await sendAndAck(first, "general", "once", "nonce-1");
  first.socket.close();
  await first.closed;
  const { client: second } = await connectJson(
    `${server.wsUrl}?name=Ada`,
    undefined,
    key,
  );
  await using _second = second;
  const again = await sendAndAck(second, "general", "once", "nonce-1");
  assert.equal(again.id, ack.id);
  assert.equal(again.duplicate, true);
  assert.equal(ack.duplicate, false);
  await sendAndAck(second, "general", "next", "nonce-2");
  const received = await nextMessages(watcher, 2);
  assert.deepEqual(received.map((message) => message.text), ["once", "next"]);
});

Deno.test("send: two guests who share a name and a nonce both get their message stored", async () => {
  await using server = startServer();
  const { client: watcher } = await connectJson(server.wsUrl);
  await using _ = watcher;
  const [{ client: first }, { client: second }] = await Promise.all([
    connectJson(`${server.wsUrl}?name=Sam`),
    connectJson(`${server.wsUrl}?name=Sam`),
  ]);
  await using _first = first;
  await using _second = second;
  const a = await sendAndAck(first, "general", "from the first", "1");
  const b = await sendAndAck(second, "general", "from the second", "1");
  assert.equal(b.duplicate, false);
  assert.notEqual(a.id, b.id);
  const received = await nextMessages(watcher, 2);
  assert.deepEqual(received.map((message) => message.text), [
    "from the first",
    "from the second",
  ]);
  assert.notEqual(received[0]!.userId, received[1]!.userId);
  assert(received.every((message) => message.guest === true));
});

Deno.test("send: 20 concurrent senders, every member sees one order", async () => {
  await using server = startServer();
  const members = await Promise.all(
    Array.from({ length: 5 }, () => connectJson(server.wsUrl)),
  );
  const senders = await Promise.all(
    Array.from({ length: 20 }, () => connectJson(server.wsUrl)),
  );
  try {
    await Promise.all(senders.map(async ({ client }, s) => {
      for (let i = 0; i < 5; i++) {
        const text = `${s}.${i}`;
        client.sendJson({ type: "send", room: "general", text, nonce: text });
      }
      for (let i = 0; i < 5; i++) await client.nextOfType("ack");
    }));
    const orders = await Promise.all(
      members.map(async ({ client }) =>
        (await nextMessages(client, 100)).map((m) => `${m.id}:${m.text}`)
      ),
    );
    for (const order of orders) assert.deepEqual(order, orders[0]);
    const ids = orders[0]!.map((entry) => Number(entry.split(":")[0]));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(new Set(ids).size, 100);
  } finally {
    await Promise.all(
      [...members, ...senders].map(({ client }) =>
        client[Symbol.asyncDispose]()
      ),
    );
  }
});

Deno.test("history: pages older messages with before and limit", async () => {
  await using server = startServer({ historyLimit: 3 });
  const { client } = await connectJson(server.wsUrl);
  await using _ = client;
  for (let i = 1; i <= 7; i++) {
    await sendAndAck(client, "general", `m${i}`, `n${i}`);
  }
  await using late = await connect(server.wsUrl, { json: true });
  await late.nextOfType("hello");
  late.sendJson({ type: "join", room: "general" });
  const joined = await late.nextOfType("joined");
  assert.deepEqual(texts(joined), ["m5", "m6", "m7"]);
  assert.equal(joined.hasMore, true);
  late.sendJson({
    type: "history",
    room: "general",
    before: joined.messages[0]!.id,
    limit: 3,
  });
  const page = await late.nextOfType("history");
  assert.deepEqual(texts(page), ["m2", "m3", "m4"]);
  assert.equal(page.hasMore, true);
  late.sendJson({
    type: "history",
    room: "general",
    before: page.messages[0]!.id,
  });
  const last = await late.nextOfType("history");
  assert.deepEqual(texts(last), ["m1"]);
  assert.equal(last.hasMore, false);
});

Deno.test("presence: members on join, events on join, rename and leave; two tabs count once", async () => {
  await using server = startServer();
  const { client: ada, joined: [adaJoined] } = await connectJson(
    `${server.wsUrl}?name=Ada`,
  );
  await using _ada = ada;
  assert.deepEqual(names(adaJoined?.members), ["Ada"]);

  // Bo's two tabs share the browser's guest key: one user.
  const key = { guestKey: crypto.randomUUID() };
  const { client: bo, joined: [boJoined] } = await connectJson(
    `${server.wsUrl}?name=Bo`,
    undefined,
    key,
  );
  assert.deepEqual(names(boJoined?.members), ["Ada", "Bo"]);
  const arrival = await ada.nextOfType("presence");
  assert.deepEqual([names(arrival.joined), arrival.left], [["Bo"], []]);
  const boId = arrival.joined[0]!.id;
  assert.equal(arrival.joined[0]!.guest, true);

  const { client: boTab2, joined: [tabJoined] } = await connectJson(
    `${server.wsUrl}?name=Bo`,
    undefined,
    key,
  );
  assert.deepEqual(names(tabJoined?.members), ["Ada", "Bo"]);
  assert.equal(tabJoined?.memberCount, 2);
  boTab2.socket.close();
  await boTab2.closed;

  bo.sendJson({ type: "set_name", name: "Bob" });
  const rename = await ada.nextOfType("presence");
  assert.deepEqual([rename.joined, rename.left], [[
    { id: boId, name: "Bob", guest: true },
  ], []]);

  bo.socket.close();
  await bo.closed;
  const left = await ada.nextOfType("presence");
  assert.deepEqual([left.joined, names(left.left)], [[], ["Bob"]]);
});

Deno.test("presence: a join lists at most largeRoom names and counts them all", async () => {
  await using server = startServer({ largeRoom: 2 });
  const clients = [];
  try {
    for (const name of ["Cy", "Ada", "Bo"]) {
      clients.push((await connectJson(`${server.wsUrl}?name=${name}`)).client);
    }
    const { client: dee, hello, joined: [joined] } = await connectJson(
      `${server.wsUrl}?name=Dee`,
    );
    clients.push(dee);
    assert.equal(hello.limits.largeRoom, 2);
    assert.deepEqual(names(joined?.members), ["Ada", "Bo"]);
    assert.equal(joined?.memberCount, 4);
  } finally {
    for (const client of clients) await client[Symbol.asyncDispose]();
  }
});

Deno.test("presence: a large room announces its member count instead of names", async () => {
  await using server = startServer({ largeRoom: 2 });
  const clients = [];
  try {
    const { client: ada } = await connectJson(`${server.wsUrl}?name=Ada`);
    clients.push(ada);
    clients.push((await connectJson(`${server.wsUrl}?name=Bo`)).client);
    assert.deepEqual(names((await ada.nextOfType("presence")).joined), ["Bo"]);
    // Above two subscribers the room is large: one count for both arrivals.
    clients.push((await connectJson(`${server.wsUrl}?name=Dee`)).client);
    const { client: cy } = await connectJson(`${server.wsUrl}?name=Cy`);
    assert.deepEqual(await ada.nextOfType("presence"), {
      type: "presence",
      room: "general",
      joined: [],
      left: [],
      memberCount: 4,
    });
    cy.socket.close();
    await cy.closed;
    assert.equal((await ada.nextOfType("presence")).memberCount, 3);
  } finally {
    for (const client of clients) await client[Symbol.asyncDispose]();
  }
});

Deno.test("presence: an abrupt disconnect leaves the room", async () => {
  await using server = startServer({ idleTimeout: 1 });
  const { client: ada } = await connectJson(`${server.wsUrl}?name=Ada`);
  await using _ = ada;
  const silent = await openSilentPeer(server.port, "/ws?name=Ghost");
  try {
    const arrived = await ada.nextOfType("presence");
    assert.deepEqual(names(arrived.joined), ["Ghost"]);
  } finally {
    silent.close();
  }
  const gone = await ada.nextOfType("presence");
  assert.deepEqual(names(gone.left), ["Ghost"]);
  await server.untilConnections(1);
});

Deno.test("history survives a server restart on the same KV file", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/chat.db`;
  let epoch = "";
  try {
    {
      await using child = await spawnServer(["--kv-path", kvPath]);
      const wsUrl = `${child.url.replace("http", "ws")}ws`;
      const { client, joined: [first] } = await connectJson(wsUrl);
      await using _ = client;
      epoch = first!.epoch;
      await sendAndAck(client, "general", "remember me", "r1");
      child.process.kill("SIGTERM");
      assert.equal((await child.process.status).code, 0);
    }
    await using child = await spawnServer(["--kv-path", kvPath]);
    const wsUrl = `${child.url.replace("http", "ws")}ws`;
    const { client, joined: [joined] } = await connectJson(wsUrl);
    await using _ = client;
    assert.deepEqual(texts(joined!), ["remember me"]);
    // The same log: its ids, and so its epoch, still hold.
    assert.equal(joined?.epoch, epoch);
    const ack = await sendAndAck(client, "general", "and me", "r2");
    assert.equal(ack.id, joined!.messages[0]!.id + 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("leave: counts against the rate limit, so join/leave cycles are bounded", async () => {
  await using server = startServer({
    rateLimit: 1,
    rateBurst: 2,
    rateLimitStrikes: 100,
  });
  const { client } = await connectJson(server.wsUrl, []);
  await using _ = client;
  for (let i = 0; i < 3; i++) {
    client.sendJson({ type: "join", room: "spin" });
    assert.equal((await client.nextOfType("joined")).room, "spin");
    client.sendJson({ type: "leave", room: "spin", nonce: `l${i}` });
    const reply = await client.nextEvent();
    if (i < 2) {
      assert.equal(reply.type, "left");
    } else {
      assert.deepEqual(reply.type === "error" && [reply.code, reply.nonce], [
        "rate_limited",
        "l2",
      ]);
    }
  }
});
