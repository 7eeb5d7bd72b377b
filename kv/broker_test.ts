import assert from "node:assert/strict";
import { withTimeout } from "../testing/async.ts";
import {
  connect,
  connectJson,
  nextMessages,
  nextTexts,
  sendAndAck,
  type TestClient,
} from "../testing/client.ts";
import { spawnServer } from "../testing/server_process.ts";
import { scrapeMetrics } from "../bench/soak_clients.ts";
import { BusMetrics } from "../chat/bus_metrics.ts";
import { KvBroker } from "./broker.ts";
import { KvHistory } from "./history.ts";
import { KvPresence } from "./presence.ts";
import { createHandler } from "../main.ts";

/** A handler over its own handle on the KV file at `path`, like one Deploy isolate. */
async function startIsolate(path: string) {
  const kv = await Deno.openKv(path);
  const busMetrics = new BusMetrics();
  const history = new KvHistory(kv, { metrics: busMetrics });
  const broker = new KvBroker(kv, {
    log: history,
    sweepIntervalMs: 0,
    metrics: busMetrics,
  });
  const presence = new KvPresence(kv);
  const handler = createHandler({
    config: { logLevel: "error", rateLimit: 1000, rateBurst: 1000 },
    broker,
    history,
    presence,
    busMetrics,
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    wsUrl: `ws://127.0.0.1:${server.addr.port}/ws`,
    async [Symbol.asyncDispose]() {
      await handler.shutdown();
      await server.shutdown();
    },
  };
}

Deno.test("KvBroker: two handlers sharing one KV file deliver each other's messages in one order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using a = await startIsolate(`${dir}/chat.db`);
    await using b = await startIsolate(`${dir}/chat.db`);
    const clients = await Promise.all(
      [a, b, a, b].map(async ({ wsUrl }) => (await connectJson(wsUrl)).client),
    );
    try {
      clients.forEach((client, c) => {
        for (let i = 0; i < 10; i++) {
          const text = `${c}.${i}`;
          client.sendJson({ type: "send", room: "general", text, nonce: text });
        }
      });
      const orders = await Promise.all(
        clients.map(async (client) =>
          (await nextMessages(client, 40)).map((m) => `${m.id}:${m.text}`)
        ),
      );
      for (const order of orders) assert.deepEqual(order, orders[0]);
      const ids = orders[0]!.map((entry) => Number(entry.split(":")[0]));
      assert.deepEqual(ids, Array.from({ length: 40 }, (_, i) => i + 1));
    } finally {
      await Promise.all(clients.map((client) => client[Symbol.asyncDispose]()));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("KvBroker: two handlers sharing one KV file list each other's members and announce arrivals and departures", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using a = await startIsolate(`${dir}/chat.db`);
    await using b = await startIsolate(`${dir}/chat.db`);
    const { client: bo, joined: [boJoined] } = await connectJson(
      `${b.wsUrl}?name=Bo`,
    );
    await using _bo = bo;
    assert.deepEqual(boJoined?.members, ["Bo"]);

    const { client: ada, joined: [adaJoined] } = await connectJson(
      `${a.wsUrl}?name=Ada`,
    );
    await using _ada = ada;
    assert.deepEqual(adaJoined?.members, ["Ada", "Bo"]);
    const arrived = await bo.nextOfType("presence");
    assert.deepEqual([arrived.joined, arrived.left], [["Ada"], []]);

    // Events cross the other way too, and a second tab is no new member.
    const { client: cy, joined: [cyJoined] } = await connectJson(
      `${b.wsUrl}?name=Cy`,
    );
    await using _cy = cy;
    assert.deepEqual(cyJoined?.members, ["Ada", "Bo", "Cy"]);
    const cyArrived = await ada.nextOfType("presence");
    assert.deepEqual([cyArrived.joined, cyArrived.left], [["Cy"], []]);
    const { client: adaTab, joined: [tabJoined] } = await connectJson(
      `${b.wsUrl}?name=Ada`,
    );
    assert.deepEqual(tabJoined?.members, ["Ada", "Bo", "Cy"]);
    adaTab.socket.close();
    await adaTab.closed;

    ada.socket.close();
    await ada.closed;
    // Bo sees Cy arrive and Ada leave, each once, and no other presence
    // event before its own later message comes back.
    const seen = [];
    while (seen.length < 2) {
      const event = await bo.nextOfType("presence");
      seen.push(`+${event.joined.join()}-${event.left.join()}`);
    }
    bo.sendJson({ type: "send", room: "general", text: "end", nonce: "end" });
    while (true) {
      const event = await bo.nextEvent();
      if (event.type === "message" && event.text === "end") break;
      if (event.type === "presence") seen.push("extra");
    }
    assert.deepEqual(seen, ["+Cy-", "+-Ada"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("KvBroker drops invalid entries written to the store, counts them, and the room keeps flowing", async () => {
  const dir = await Deno.makeTempDir();
  const clients: TestClient[] = [];
  try {
    const path = `${dir}/chat.db`;
    await using a = await startIsolate(path);
    await using b = await startIsolate(path);
    const { client: sender } = await connectJson(a.wsUrl);
    clients.push(sender);
    for (const { wsUrl } of [a, b]) {
      clients.push((await connectJson(wsUrl)).client);
      clients.push(await connect(wsUrl));
    }
    const first = await sendAndAck(sender, "general", "before", "b");

    // Whoever else can write the store: a bad message under the next id,
    // and presence events that are not valid JSON or not presence at all.
    using intruder = await Deno.openKv(path);
    const events = await intruder.get<number>(["presence_head", "general"]);
    const n = events.value ?? 0;
    const commit = await intruder.atomic()
      .check({
        key: ["head", "general"],
        versionstamp: (await intruder.get(["head", "general"])).versionstamp,
      })
      .set(["head", "general"], first.id + 1)
      .set(["msg", "general", first.id + 1], { ts: "now", user: 7, text: {} })
      .check(events)
      .set(["presence_head", "general"], n + 2)
      .set(["presence_log", "general", n + 1], {
        json: "x".repeat(60_000),
        source: "intruder",
      })
      .set(["presence_log", "general", n + 2], {
        json: JSON.stringify({
          type: "message",
          id: 1,
          room: "general",
          ts: 0,
          user: "x",
          text: "poison",
        }),
        source: "intruder",
      })
      .commit();
    assert(commit.ok);
    const texts = ["after 1", "after 2"];
    for (const [i, text] of texts.entries()) {
      await sendAndAck(sender, "general", text, `a${i}`);
    }

    // A forwarded poison would not parse, or would arrive as a message.
    for (const client of clients.slice(1)) {
      assert.deepEqual(await nextTexts(client, 3), ["before", ...texts]);
    }
    for (const { origin } of [a, b]) {
      const samples = await scrapeMetrics(origin);
      const dropped = (reason: string) =>
        samples.get(`chat_bus_dropped_total{reason="${reason}"}`) ?? 0;
      assert(dropped("shape") >= 2, `shape drops on ${origin}`);
      assert.equal(dropped("json"), 1);
    }
  } finally {
    for (const client of clients) await client[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("KvBroker tells members of a new epoch when the store starts one, then sends its messages", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/chat.db`;
    await using a = await startIsolate(path);
    await using b = await startIsolate(path);
    const { client: sender, joined: [joined] } = await connectJson(a.wsUrl);
    await using _sender = sender;
    const { client: member } = await connectJson(b.wsUrl);
    await using _member = member;
    await sendAndAck(sender, "general", "before", "b");
    assert.deepEqual(await nextTexts(member, 1), ["before"]);

    // Another handle finds the log behind what it saw: a new epoch, which
    // only the watch of the room's keys tells the isolates about.
    await using other = new KvHistory(await Deno.openKv(path));
    const renewed = await other.position("general", {
      epoch: joined!.epoch,
      head: 99,
    });
    const reset = await member.nextOfType("reset");
    assert.equal(reset.epoch, renewed.epoch);
    // The new epoch's log is sent again from its first message.
    assert.deepEqual(await nextTexts(member, 1), ["before"]);
    await sendAndAck(sender, "general", "after", "a");
    assert.deepEqual(await nextTexts(member, 1), ["after"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main.ts on Deno Deploy writes nothing locally and stops well within 5 s of SIGINT", async () => {
  await using child = await spawnServer(
    ["--kv-path", ":memory:"],
    { DENO_DEPLOYMENT_ID: "test" },
    ["--deny-write"],
  );
  const wsUrl = `${child.url.replace("http", "ws")}ws`;
  const { client } = await connectJson(wsUrl);
  await using _ = client;
  client.sendJson({ type: "send", room: "general", text: "hi", nonce: "n" });
  const ack = await client.nextOfType("ack");
  assert.equal(ack.id, 1);
  const started = Date.now();
  child.process.kill("SIGINT");
  const status = await withTimeout(child.process.status, "exit", 5000);
  assert.equal(status.code, 0);
  assert(Date.now() - started < 4000, "shutdown took too long");
  assert.match(child.stderr(), /"broker":"kv"/);
});
