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

/** Deno's folder of per-origin storage, where `Deno.openKv()` keeps the CLI's default database. */
async function originStorage(): Promise<string> {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(stdout)).originStorage;
}

/** The folders in `dir`. */
async function folders(dir: string): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) names.add(`${dir}/${entry.name}`);
  }
  return names;
}

/**
 * Finds, among the folders of `storage` not in `before`, the database that
 * holds messages in `room`.
 */
async function findDatabase(
  storage: string,
  before: Set<string>,
  room: string,
): Promise<{ folder: string; texts: string[] } | undefined> {
  for (const folder of await folders(storage)) {
    if (before.has(folder)) continue;
    const path = `${folder}/kv.sqlite3`;
    try {
      await Deno.stat(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    await using history = new KvHistory(Deno.openKv(path));
    const texts = (await history.latest(room, 10)).messages.map((m) => m.text);
    if (texts.length > 0) return { folder, texts };
  }
  return undefined;
}

Deno.test("main.ts on Deno Deploy runs without write permission, keeps messages in the platform KV and stops within 4 s of SIGINT", async () => {
  const storage = await originStorage();
  await Deno.mkdir(storage, { recursive: true });
  const before = await folders(storage);
  const room = `deploy-${crypto.randomUUID()}`;
  try {
    // No --kv-path: the Deploy defaults choose. On the CLI the platform KV is
    // Deno's per-origin database; a location of its own keeps this one apart.
    await using child = await spawnServer([], {
      env: { DENO_DEPLOYMENT_ID: "test" },
      denoArgs: ["--deny-write", `--location=http://${room}.test/`],
      kvPath: null,
    });
    const wsUrl = `${child.url.replace("http", "ws")}ws`;
    const { client } = await connectJson(wsUrl, [room]);
    await using _ = client;
    client.sendJson({ type: "send", room, text: "hi", nonce: "n" });
    assert.equal((await client.nextOfType("ack")).id, 1);
    const started = Date.now();
    child.process.kill("SIGINT");
    const status = await withTimeout(child.process.status, "exit", 5000);
    assert.equal(status.code, 0);
    assert(Date.now() - started < 4000, "shutdown took too long");
    assert.match(child.stderr(), /"broker":"kv"/);

    const database = await findDatabase(storage, before, room);
    assert.deepEqual(database?.texts, ["hi"], `a new database in ${storage}`);
  } finally {
    const database = await findDatabase(storage, before, room);
    if (database) await Deno.remove(database.folder, { recursive: true });
  }
});
