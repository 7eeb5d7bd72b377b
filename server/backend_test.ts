import assert from "node:assert/strict";
import { SKIP_REDIS, startCluster, startRedis } from "../testing/redis.ts";
import { waitFor, withTimeout } from "../testing/async.ts";
import {
  connectJson,
  nextMessages,
  sendAndAck,
  sendUntilAcked,
  type TestClient,
  texts,
} from "../testing/client.ts";
import { type Backend, openBackend } from "./backend.ts";
import { defaultConfig } from "./settings.ts";
import type { ChatMessage } from "../chat/events.ts";

/**
 * Waits until `url` answers `status`. The instances are other processes and
 * report their state only when asked: there is no event to await.
 */
async function waitForStatus(url: string, status: number): Promise<void> {
  await waitFor(
    async () => {
      const res = await fetch(url);
      await res.body?.cancel();
      return res.status === status;
    },
    `${url} to answer ${status}`,
    50,
  );
}

/**
 * Sends numbered messages one after another as the UI does: a message that
 * gets `unavailable` stays pending and is sent again, with the same nonce,
 * until it is acknowledged.
 */
class PersistentSender {
  acked = new Map<number, string>();
  unavailable = 0;
  #stopped = false;
  #waiters: { holds: () => boolean; resolve: () => void }[] = [];
  readonly done: Promise<void>;

  constructor(client: TestClient) {
    this.done = this.#run(client);
  }

  /**
   * Resolves once `holds` is true of the counts; fails when the sender fails
   * or stops first, or after the test timeout.
   */
  until(holds: () => boolean, what: string): Promise<void> {
    if (holds()) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.push({ holds, resolve });
    const ended = this.done.then(() => {
      throw new Error(`Cannot wait for ${what}: the sender stopped`);
    });
    return withTimeout(Promise.race([promise, ended]), what);
  }

  stop(): Promise<void> {
    this.#stopped = true;
    return this.done;
  }

  #changed(): void {
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.holds()) return true;
      waiter.resolve();
      return false;
    });
  }

  async #run(client: TestClient): Promise<void> {
    for (let i = 0; !this.#stopped; i++) {
      const text = `m${i}`;
      while (true) {
        try {
          const ack = await sendAndAck(client, "general", text, `n${i}`);
          this.acked.set(ack.id, text);
          this.#changed();
          break;
        } catch (error) {
          if (!String(error).includes("unavailable")) throw error;
          this.unavailable++;
          this.#changed();
          // The UI waits before sending again (UNAVAILABLE_RETRY_MS in
          // static/app.js); so does this client, for a twentieth of it.
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }
  }
}

/** Reads messages until every id in `ids` has arrived; returns them all. */
async function receiveAll(
  client: TestClient,
  ids: Iterable<number>,
  received: ChatMessage[] = [],
): Promise<ChatMessage[]> {
  const wanted = new Set(ids);
  for (const message of received) wanted.delete(message.id);
  while (wanted.size > 0) {
    const [message] = await nextMessages(client, 1);
    received.push(message!);
    wanted.delete(message!.id);
  }
  return received;
}

function assertContiguous(messages: ChatMessage[]): void {
  const ids = messages.map((message) => message.id);
  const first = ids[0]!;
  assert.deepEqual(
    ids,
    Array.from({ length: ids.length }, (_, i) => first + i),
  );
}

Deno.test({
  name:
    "openBackend(redis): a Redis outage gives unavailable, never a false ack, and heals by itself",
  ignore: SKIP_REDIS,
  async fn() {
    await using redis = await startRedis({ durable: true });
    await using cluster = await startCluster(redis.url, 2);
    const [one, two] = cluster.wsUrls as [string, string];
    const { client: sender } = await connectJson(`${one}?name=Ada`);
    await using _sender = sender;
    const { client: watcher } = await connectJson(two);
    await using _watcher = watcher;

    const traffic = new PersistentSender(sender);
    await traffic.until(
      () => traffic.acked.size >= 5,
      "acks before the outage",
    );
    await redis.kill();
    for (const url of cluster.urls) await waitForStatus(`${url}readyz`, 503);
    const health = await (await fetch(`${cluster.urls[0]}healthz`)).json();
    assert.equal(health.status, "degraded");
    // Keep Redis down for a while: the sender retries every 100 ms.
    await traffic.until(() => traffic.unavailable >= 20, "unavailable errors");
    const ackedDuringOutage = traffic.acked.size;

    await redis.restart();
    for (const url of cluster.urls) await waitForStatus(`${url}readyz`, 200);
    await traffic.until(
      () => traffic.acked.size >= ackedDuringOutage + 5,
      "acks after recovery",
    );
    await traffic.stop();

    // Everything acknowledged reaches a member on the other instance, in
    // order and without a gap, and is in the history.
    const received = await receiveAll(watcher, traffic.acked.keys());
    assertContiguous(received);
    for (const message of received) {
      assert.equal(traffic.acked.get(message.id), message.text);
    }
    const { client: late, joined: [joined] } = await connectJson(one);
    await using _late = late;
    const stored = new Set(joined!.messages.map((message) => message.id));
    for (const id of traffic.acked.keys()) assert(stored.has(id), `id ${id}`);
  },
});

Deno.test({
  name:
    "openBackend(redis): clients of a killed instance resume on another with since",
  ignore: SKIP_REDIS,
  async fn() {
    await using redis = await startRedis();
    await using cluster = await startCluster(redis.url, 3, [
      "--presence-ttl",
      "1",
    ]);
    const [one, two, three] = cluster.wsUrls as [string, string, string];
    const { client: sender } = await connectJson(one);
    await using _sender = sender;
    const { client: reader } = await connectJson(`${two}?name=Reader`);
    const traffic = new PersistentSender(sender);
    const before = await nextMessages(reader, 3);

    await cluster.kill(1);
    await reader.closed;
    await traffic.until(
      () => traffic.acked.size >= before.length + 5,
      "more acks",
    );
    const { client: resumed } = await connectJson(three, []);
    await using _resumed = resumed;
    resumed.sendJson({
      type: "join",
      room: "general",
      since: before.at(-1)!.id,
    });
    const joined = await resumed.nextOfType("joined");
    assert.equal(joined.truncated, false);
    await traffic.stop();
    const after = await receiveAll(
      resumed,
      [...traffic.acked.keys()].filter((id) => id > before.at(-1)!.id),
      joined.messages.filter((entry) => entry.type === "message"),
    );
    assertContiguous([...before, ...after]);

    // The dead instance's member drops out once its entries expire, which
    // nothing announces: ask until it is gone.
    await waitFor(
      async () => {
        const { client, joined: [probe] } = await connectJson(one);
        await client[Symbol.asyncDispose]();
        return !probe!.members.some((member) => member.name === "Reader");
      },
      "Reader to drop out",
      200,
    );
  },
});

Deno.test({
  name:
    "openBackend(redis): after Redis restarts empty, the room gets a new epoch, every ack is delivered live on both instances, and a resume with the old epoch is told",
  ignore: SKIP_REDIS,
  async fn() {
    await using redis = await startRedis();
    await using cluster = await startCluster(redis.url, 2);
    const [one, two] = cluster.wsUrls as [string, string];
    const { client: sender, joined: [joined] } = await connectJson(one);
    await using _sender = sender;
    const receivers = [
      (await connectJson(one)).client,
      (await connectJson(two)).client,
    ];
    try {
      const oldEpoch = joined!.epoch;
      for (let i = 1; i <= 3; i++) {
        await sendAndAck(sender, "general", `old ${i}`, `old${i}`);
      }
      for (const receiver of receivers) await nextMessages(receiver, 3);

      await redis.kill();
      await redis.restart();
      for (const url of cluster.urls) await waitForStatus(`${url}readyz`, 200);
      const acked = [];
      for (let i = 1; i <= 5; i++) {
        acked.push(await sendUntilAcked(sender, `new ${i}`, `new${i}`));
      }
      // Ids start again: without a new epoch 1 to 3 would pass for repeats.
      assert.deepEqual(acked.map((ack) => ack.id), [1, 2, 3, 4, 5]);

      for (const receiver of receivers) {
        const reset = await receiver.nextOfType("reset");
        assert.notEqual(reset.epoch, oldEpoch);
        const live = await nextMessages(receiver, 5);
        assert.deepEqual(
          live.map((message) => [message.id, message.text]),
          acked.map((ack, i) => [ack.id, `new ${i + 1}`]),
        );
      }

      const { client: resumed } = await connectJson(two, []);
      await using _resumed = resumed;
      // Its since is below the new head: only the epoch tells it is stale.
      resumed.sendJson({
        type: "join",
        room: "general",
        since: 3,
        epoch: oldEpoch,
      });
      const again = await resumed.nextOfType("joined");
      assert.notEqual(again.epoch, oldEpoch);
      assert.equal(again.truncated, true);
      assert.deepEqual(
        texts(again),
        acked.map((_, i) => `new ${i + 1}`),
      );
    } finally {
      for (const receiver of receivers) await receiver[Symbol.asyncDispose]();
    }
  },
});

Deno.test("openBackend(kv): two backends on one KV file share presence", async () => {
  const dir = await Deno.makeTempDir();
  const config = {
    ...defaultConfig(),
    broker: "kv" as const,
    kvPath: `${dir}/chat.db`,
  };
  const opened: Backend[] = [];
  try {
    opened.push(await openBackend(config), await openBackend(config));
    const [a, b] = opened as [Backend, Backend];
    assert.equal(
      await a.presence.join("general", { id: "ada", name: "ada" }),
      true,
    );
    assert.equal(
      await b.presence.join("general", { id: "ada", name: "ada" }),
      false,
    );
    assert.deepEqual(await b.presence.members("general"), [{
      id: "ada",
      name: "ada",
    }]);
  } finally {
    // What the handler's shutdown does, in its order.
    for (const backend of opened) {
      await backend.broker.close();
      await backend.presence.close();
      await backend.history.close();
    }
    await Deno.remove(dir, { recursive: true });
  }
});
