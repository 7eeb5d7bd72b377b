import assert from "node:assert/strict";
import { createClient } from "redis";
import { brokerContract } from "../testing/broker_contract.ts";
import {
  type RedisServer,
  SKIP_REDIS,
  startCluster,
  startRedis,
} from "../testing/redis.ts";
import {
  connect,
  connectJson,
  nextMessages,
  sendAndAck,
  type TestClient,
} from "../testing/client.ts";
import { RedisBroker } from "./broker.ts";
import type { RedisClient } from "./client.ts";
import { RedisHistory } from "./history.ts";

/** One instance's broker and history, with its own two connections to `redis`. */
async function instance(redis: RedisServer) {
  const client: RedisClient = await createClient({ url: redis.url }).connect();
  const subscriber: RedisClient = await createClient({ url: redis.url })
    .connect();
  const history = new RedisHistory(client);
  const broker = new RedisBroker({
    client,
    subscriber,
    log: history,
    sweepIntervalMs: 0,
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

brokerContract("RedisBroker", async () => {
  const redis = await startRedis();
  const a = await instance(redis);
  const b = await instance(redis);
  return {
    a,
    b,
    async [Symbol.asyncDispose]() {
      await a[Symbol.asyncDispose]();
      await b[Symbol.asyncDispose]();
      await redis[Symbol.asyncDispose]();
    },
  };
}, SKIP_REDIS);

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
    assert.equal(joined.truncated, false);
    assert.deepEqual(
      joined.messages.map((m) => m.text),
      ["missed 1", "missed 2", "missed 3", "missed 4"],
    );
    again.sendJson({ type: "history", room: "general", before: 3, limit: 3 });
    const page = await again.nextOfType("history");
    assert.deepEqual(page.messages.map((m) => m.text), ["seen 1", "seen 2"]);
    assert.equal(page.hasMore, false);

    await sendAndAck(sender, "general", "live", "live");
    const live = await again.nextOfType("message");
    assert.deepEqual([live.id, live.text], [7, "live"]);
    // A re-send with the same nonce through another instance posts nothing.
    const { client: ada } = await connectJson(`${three}?name=Ada`);
    await using _ada = ada;
    const first = await sendAndAck(ada, "general", "once", "ada-1");
    const { client: adaAgain } = await connectJson(`${two}?name=Ada`);
    await using _adaAgain = adaAgain;
    const repeat = await sendAndAck(adaAgain, "general", "once", "ada-1");
    assert.deepEqual([repeat.id, repeat.duplicate], [first.id, true]);
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
