import assert from "node:assert/strict";
import { withTimeout } from "../testing/async.ts";
import { brokerContract } from "../testing/broker_contract.ts";
import { connectJson } from "../testing/client.ts";
import { spawnServer } from "../testing/server_process.ts";
import { KvBroker } from "./broker.ts";
import { KvHistory } from "./history.ts";

/** One isolate's broker and history over its own handle on the KV file at `path`. */
async function isolate(path: string) {
  const kv = await Deno.openKv(path);
  const history = new KvHistory(kv);
  const broker = new KvBroker(kv, { log: history, sweepIntervalMs: 0 });
  return {
    broker,
    history,
    async [Symbol.asyncDispose]() {
      await broker.close();
      await history.close();
    },
  };
}

// Two isolates on Deno Deploy: two handles on one database.
brokerContract("KvBroker", async () => {
  const dir = await Deno.makeTempDir();
  const a = await isolate(`${dir}/chat.db`);
  const b = await isolate(`${dir}/chat.db`);
  return {
    a,
    b,
    async [Symbol.asyncDispose]() {
      await a[Symbol.asyncDispose]();
      await b[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
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
