import assert from "node:assert/strict";
import {
  connectJson,
  nextMessages,
  spawnServer,
  withTimeout,
} from "./_test_utils.ts";
import { KvBroker } from "./kv_broker.ts";
import { KvHistory } from "./kv_history.ts";
import { createHandler } from "./main.ts";

/** A handler over its own handle on the KV file at `path`, like one Deploy isolate. */
async function startIsolate(path: string) {
  const kv = await Deno.openKv(path);
  const history = new KvHistory(kv);
  const broker = new KvBroker(kv, { log: history, sweepIntervalMs: 0 });
  const handler = createHandler({
    config: { logLevel: "error", rateLimit: 1000, rateBurst: 1000 },
    broker,
    history,
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
