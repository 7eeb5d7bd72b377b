import assert from "node:assert/strict";
import { withTimeout } from "../testing/async.ts";
import { brokerContract } from "../testing/broker_contract.ts";
import {
  connect,
  connectJson,
  nextTexts,
  sendAndAck,
  type TestClient,
} from "../testing/client.ts";
import { spawnServer } from "../testing/server_process.ts";
import { scrapeMetrics } from "../bench/soak_clients.ts";
import { BusMetrics } from "../chat/bus_metrics.ts";
import { createHandler } from "../main.ts";
import { KvBroker } from "./broker.ts";
import { commitOrBusy } from "./database.ts";
import { KvHistory } from "./history.ts";
import { KvPresence } from "./presence.ts";

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
    // The servers hold the file too, so a commit may find it busy: retry.
    using intruder = await Deno.openKv(path);
    const intrude = async () => {
      const events = await intruder.get<number>(["presence_head", "general"]);
      const n = events.value ?? 0;
      return await commitOrBusy(
        intruder.atomic()
          .check({
            key: ["head", "general"],
            versionstamp:
              (await intruder.get(["head", "general"])).versionstamp,
          })
          .set(["head", "general"], first.id + 1)
          .set(["msg", "general", first.id + 1], {
            ts: "now",
            user: 7,
            text: {},
          })
          .check(events)
          .set(["presence_head", "general"], n + 2)
          .set(["presence_log", "general", n + 1], {
            value: "x".repeat(60_000),
            source: "intruder",
          })
          .set(["presence_log", "general", n + 2], {
            value: JSON.stringify({
              type: "message",
              id: 1,
              room: "general",
              ts: 0,
              user: "x",
              text: "poison",
            }),
            source: "intruder",
          }),
      );
    };
    while (!(await intrude()).ok);
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
