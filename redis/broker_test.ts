import assert from "node:assert/strict";
import { createClient } from "redis";
import { brokerContract } from "../testing/broker_contract.ts";
import {
  type RedisServer,
  SKIP_REDIS,
  startCluster,
  startRedis,
} from "../testing/redis.ts";
import { type ServerProcess, spawnServer } from "../testing/server_process.ts";
import {
  connect,
  connectJson,
  nextMessages,
  nextTexts,
  sendAndAck,
  type TestClient,
  texts,
} from "../testing/client.ts";
import { scrapeMetrics } from "../bench/soak_clients.ts";
import { DEFAULT_CHANNEL, RedisBroker } from "./broker.ts";
import type { RedisClient } from "./client.ts";
import { decodeEnvelope, maxEnvelopeLength } from "./envelope.ts";
import { RedisHistory } from "./history.ts";
import { type Broadcast, broadcastOf } from "../chat/events.ts";

/**
 * One instance's broker and history, with its own two connections to
 * `redis`; with `scripted`, the history's scripts publish what they store,
 * as a server's do.
 */
async function instance(redis: RedisServer, scripted = false) {
  const client: RedisClient = await createClient({ url: redis.url }).connect();
  const subscriber: RedisClient = await createClient({ url: redis.url })
    .connect();
  const bus = { channel: DEFAULT_CHANNEL, from: crypto.randomUUID() };
  const history = new RedisHistory(client, scripted ? { bus } : {});
  const broker = new RedisBroker({
    client,
    subscriber,
    log: history,
    sweepIntervalMs: 0,
    instanceId: bus.from,
    entriesPublished: scripted,
  });
  // One connection answers in order: once the subscriber answers a PING,
  // the broker's SUBSCRIBE has been answered too.
  await subscriber.ping();
  return {
    broker,
    history,
    async [Symbol.asyncDispose]() {
      await broker.close();
      await history.close();
      client.destroy();
      subscriber.destroy();
    },
  };
}

for (const scripted of [false, true]) {
  brokerContract(
    scripted ? "RedisBroker, entries published by the store" : "RedisBroker",
    async () => {
      const redis = await startRedis();
      const a = await instance(redis, scripted);
      const b = await instance(redis, scripted);
      return {
        a,
        b,
        async [Symbol.asyncDispose]() {
          await a[Symbol.asyncDispose]();
          await b[Symbol.asyncDispose]();
          await redis[Symbol.asyncDispose]();
        },
      };
    },
    SKIP_REDIS,
  );
}

Deno.test({
  name: "RedisHistory: another instance serves since and history pages",
  ignore: SKIP_REDIS,
  async fn() {
    await using redis = await startRedis();
    await using cluster = await startCluster(redis.url, 3, [
      "--history-limit",
      "3",
    ]);
    const [one, two, three] = cluster.wsUrls as [string, string, string];
    const { client: sender } = await connectJson(`${one}?name=Sender`);
    await using _sender = sender;
    const { client: reader } = await connectJson(two);
    for (let i = 1; i <= 2; i++) {
      await sendAndAck(sender, "general", `seen ${i}`, `s${i}`);
    }
    const seen = await nextMessages(reader, 2);
    reader.socket.close();
    await reader.closed;
    for (let i = 1; i <= 4; i++) {
      await sendAndAck(sender, "general", `missed ${i}`, `m${i}`);
    }

    await using again = await connect(three, { json: true });
    await again.nextOfType("hello");
    again.sendJson({ type: "join", room: "general", since: seen.at(-1)!.id });
    const joined = await again.nextOfType("joined");
    assert.deepEqual([joined.truncated, joined.hasMore], [false, true]);
    assert.deepEqual(
      texts(joined),
      ["missed 2", "missed 3", "missed 4"],
    );
    again.sendJson({ type: "history", room: "general", before: 4, limit: 3 });
    const page = await again.nextOfType("history");
    assert.deepEqual(
      texts(page),
      ["seen 1", "seen 2", "missed 1"],
    );
    assert.equal(page.hasMore, false);

    await sendAndAck(sender, "general", "live", "live");
    const live = await again.nextOfType("message");
    assert.deepEqual([live.id, live.text], [7, "live"]);
    // A re-send with the same nonce through another instance posts nothing.
    // The same guest on two instances: its key gives it one id everywhere.
    const key = { guestKey: crypto.randomUUID() };
    const { client: ada } = await connectJson(
      `${three}?name=Ada`,
      undefined,
      key,
    );
    await using _ada = ada;
    const first = await sendAndAck(ada, "general", "once", "ada-1");
    const { client: adaAgain } = await connectJson(
      `${two}?name=Ada`,
      undefined,
      key,
    );
    await using _adaAgain = adaAgain;
    const repeat = await sendAndAck(adaAgain, "general", "once", "ada-1");
    assert.deepEqual([repeat.id, repeat.duplicate], [first.id, true]);
  },
});

Deno.test({
  name:
    "RedisHistory with a bus: the scripts that store a message, an edit and a deletion publish them to the other instance",
  ignore: SKIP_REDIS,
  async fn() {
    await using redis = await startRedis();
    await using a = await instance(redis, true);
    await using b = await instance(redis, true);
    const controller = new AbortController();
    const subscription = b.broker.subscribe("room", {
      signal: controller.signal,
    });
    await b.broker.ready?.("room");
    const author = { userId: "u", user: "Ada" };
    const [stored] = await a.history.append("room", [
      { ...author, text: 'hi / "there"' },
    ]);
    const edited = await a.history.amend("room", {
      ...author,
      type: "edit",
      target: stored!.message.id,
      text: "hello",
    });
    const deleted = await a.history.amend("room", {
      ...author,
      type: "delete",
      target: stored!.message.id,
    });
    // A's broker only hands them to its own subscribers.
    for (const entry of [stored!.message, edited.entry, deleted.entry]) {
      await a.broker.publish("room", broadcastOf(entry, stored!.epoch));
    }
    const received: Broadcast[] = [];
    while (received.length < 3) {
      const { value } = await subscription.next();
      received.push(...value!);
    }
    assert.deepEqual(
      received.map((event) => JSON.parse(event.json)),
      [stored!.message, edited.entry, deleted.entry],
    );
    assert.deepEqual(received.map((event) => event.plain), [
      'hi / "there"',
      null,
      null,
    ]);
    assert.ok(received.every((event) => event.epoch === stored!.epoch));
    controller.abort();
    await subscription.return();
  },
});

Deno.test({
  name:
    "RedisHistory with a bus: a stored batch is one envelope on the channel, split only past its size",
  ignore: SKIP_REDIS,
  async fn() {
    await using redis = await startRedis();
    const client: RedisClient = await createClient({ url: redis.url })
      .connect();
    const listener: RedisClient = await createClient({ url: redis.url })
      .connect();
    try {
      const envelopes: string[] = [];
      const marked = Promise.withResolvers<void>();
      await listener.subscribe(DEFAULT_CHANNEL, (raw) => {
        if (raw === "mark") marked.resolve();
        else envelopes.push(raw);
      });
      const history = new RedisHistory(client, {
        bus: { channel: DEFAULT_CHANNEL, from: "a" },
      });
      const draft = (text: string) => ({ userId: "u", user: "Ada", text });
      await history.append("room", ["one", "two", "three"].map(draft));
      // Long enough that three of them pass ENTRIES_ENVELOPE_CHARS together.
      const long = "x".repeat(600);
      await history.append(
        "room",
        [1, 2, 3, 4].map((i) => draft(`${i}${long}`)),
      );
      // One connection delivers in order: the mark comes after the scripts' envelopes.
      await client.publish(DEFAULT_CHANNEL, "mark");
      await marked.promise;

      const decoded = envelopes.map((raw) => {
        assert.ok(raw.length <= maxEnvelopeLength(4096));
        const received = decodeEnvelope(raw, maxEnvelopeLength(4096));
        assert.ok("broadcasts" in received, raw);
        return received.broadcasts.map((broadcast) => broadcast.id);
      });
      assert.deepEqual(decoded, [[1, 2, 3], [4, 5], [6, 7]]);
    } finally {
      client.destroy();
      listener.destroy();
    }
  },
});

Deno.test({
  name:
    "RedisPresence: a large room's join lists a few names and counts every instance's",
  ignore: SKIP_REDIS,
  async fn() {
    await using redis = await startRedis();
    await using cluster = await startCluster(redis.url, 2, [
      "--large-room",
      "1",
    ]);
    const [one, two] = cluster.wsUrls as [string, string];
    const clients: TestClient[] = [];
    try {
      for (const [url, name] of [[one, "Ada"], [two, "Bo"], [one, "Cy"]]) {
        clients.push((await connectJson(`${url}?name=${name}`)).client);
      }
      const { client: dee, joined: [joined] } = await connectJson(
        `${two}?name=Dee`,
      );
      clients.push(dee);
      assert.equal(joined?.members.length, 1);
      assert.equal(joined?.memberCount, 4);
    } finally {
      for (const client of clients) await client[Symbol.asyncDispose]();
    }
  },
});

async function startInstances(
  redisUrl: string,
  args: string[] = [],
): Promise<ServerProcess[]> {
  return await Promise.all([0, 1].map(() =>
    spawnServer([
      "--redis-url",
      redisUrl,
      "--rate-limit",
      "1000",
      "--rate-burst",
      "1000",
      ...args,
    ])
  ));
}

function wsUrlOf(server: ServerProcess): string {
  return `${server.url.replace("http", "ws")}ws`;
}

Deno.test({
  name:
    "RedisBroker drops invalid envelopes from the channel, counts them and logs once, and the room keeps flowing",
  ignore: SKIP_REDIS,
  async fn() {
    await using redis = await startRedis();
    const servers = await startInstances(redis.url, ["--log-level", "warn"]);
    const raw = await createClient({ url: redis.url }).connect();
    const clients: TestClient[] = [];
    try {
      const [one, two] = servers.map(wsUrlOf) as [string, string];
      const { client: sender } = await connectJson(one);
      clients.push(sender);
      for (const url of [one, two]) {
        clients.push((await connectJson(url)).client);
        clients.push(await connect(url));
      }
      await sendAndAck(sender, "general", "before", "b");
      const message = (id: unknown) =>
        `{"type":"message","id":${id},"room":"general","ts":0,"user":"x","text":"poison"}`;
      const envelope = (fields: Record<string, unknown>) =>
        JSON.stringify({
          room: "general",
          from: "intruder",
          plain: "poison",
          ...fields,
        });
      const poison = [
        envelope({ id: 1e308, json: message("1e308") }),
        envelope({
          id: Number.MAX_SAFE_INTEGER,
          json: message(Number.MAX_SAFE_INTEGER),
        }),
        envelope({ id: null, json: "x".repeat(5_000_000) }),
        envelope({ id: null, json: "{not json" }),
        envelope({ id: 2, json: message(3) }),
        envelope({ room: "General Room", id: null, json: "{}" }),
        "not an envelope",
      ];
      for (const text of poison) await raw.publish(DEFAULT_CHANNEL, text);
      const texts = ["after 1", "after 2", "after 3"];
      for (const [i, text] of texts.entries()) {
        await sendAndAck(sender, "general", text, `a${i}`);
      }

      // A forwarded poison would not parse, or would arrive as a message.
      for (const client of clients.slice(1)) {
        assert.deepEqual(await nextTexts(client, 4), ["before", ...texts]);
      }
      for (const server of servers) {
        const samples = await scrapeMetrics(server.url.slice(0, -1));
        const dropped = (reason: string) =>
          samples.get(`chat_bus_dropped_total{reason="${reason}"}`) ?? 0;
        assert.equal(dropped("id"), 3, "1e308, 2 ≠ 3, and beyond the head");
        assert.equal(dropped("size"), 1);
        assert.equal(dropped("json"), 2);
        assert.equal(dropped("room"), 1);
        const logged = server.stderr().split("\n")
          .filter((line) => line.includes('"bus.event_dropped"'));
        assert.equal(logged.length, 1, server.stderr());
      }
    } finally {
      for (const client of clients) await client[Symbol.asyncDispose]();
      raw.destroy();
      for (const server of servers) await server[Symbol.asyncDispose]();
    }
  },
});

Deno.test({
  name:
    "RedisBroker catches up from the log after Redis drops its subscriber, without cutting members off",
  ignore: SKIP_REDIS,
  async fn() {
    await using redis = await startRedis();
    const admin = await createClient({ url: redis.url }).connect();
    const clients: TestClient[] = [];
    // Members' instance: queues and send buffers far smaller than what
    // piles up while its subscriber reconnects.
    const [senders, members] = await Promise.all([
      spawnServer([
        "--redis-url",
        redis.url,
        "--rate-limit",
        "1000",
        "--rate-burst",
        "1000",
      ]),
      spawnServer([
        "--redis-url",
        redis.url,
        "--max-queue-length",
        "32",
        "--max-buffered-bytes",
        "16384",
      ]),
    ]);
    try {
      // Redis drops a subscriber whose unsent output passes 8 KiB.
      await admin.configSet(
        "client-output-buffer-limit",
        "pubsub 8kb 4kb 60",
      );
      // Several rooms, so that their publishes reach Redis together.
      const rooms = ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"];
      for (let i = 0; i < 3; i++) {
        clients.push((await connectJson(wsUrlOf(members), rooms)).client);
      }
      const writers = [];
      for (let i = 0; i < 2; i++) {
        writers.push((await connectJson(wsUrlOf(senders), rooms)).client);
      }
      const text = "x".repeat(3000);
      const perRoom = 100;
      for (let i = 0; i < perRoom / writers.length; i++) {
        for (const [w, writer] of writers.entries()) {
          for (const room of rooms) {
            const nonce = `${w}.${i}`;
            writer.sendJson({
              type: "send",
              room,
              text: `${nonce} ${text}`,
              nonce,
            });
          }
        }
      }
      const ids = Array.from({ length: perRoom }, (_, i) => i + 1);
      await Promise.all(clients.map(async (client) => {
        const received = await nextMessages(client, perRoom * rooms.length);
        for (const room of rooms) {
          assert.deepEqual(
            received.filter((m) => m.room === room).map((m) => m.id),
            ids,
          );
        }
      }));
      const samples = await scrapeMetrics(members.url.slice(0, -1));
      assert(
        (samples.get("chat_bus_resubscribes_total") ?? 0) >= 1,
        "the subscriber was not dropped",
      );
      assert.equal(samples.get("chat_slow_consumers_total") ?? 0, 0);
      clients.push(...writers);
    } finally {
      for (const client of clients) await client[Symbol.asyncDispose]();
      admin.destroy();
      await senders[Symbol.asyncDispose]();
      await members[Symbol.asyncDispose]();
    }
  },
});
