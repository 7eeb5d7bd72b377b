import assert from "node:assert/strict";
import { withTimeout } from "../testing/async.ts";
import { connectJson, nextMessages } from "../testing/client.ts";
import { spawnServer } from "../testing/server_process.ts";
import { KvBroker } from "./broker.ts";
import { KvHistory } from "./history.ts";
import { KvPresence } from "./presence.ts";
import { createHandler } from "../main.ts";

/** A handler over its own handle on the KV file at `path`, like one Deploy isolate. */
async function startIsolate(path: string) {
  const kv = await Deno.openKv(path);
  const history = new KvHistory(kv);
  const broker = new KvBroker(kv, { log: history, sweepIntervalMs: 0 });
  const presence = new KvPresence(kv);
  const handler = createHandler({
    config: { logLevel: "error", rateLimit: 1000, rateBurst: 1000 },
    broker,
    history,
    presence,
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
  return {
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
