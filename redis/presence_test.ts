import { createClient } from "redis";
import { presenceContract } from "../testing/presence_contract.ts";
import { SKIP_REDIS, startRedis } from "../testing/redis.ts";
import type { RedisClient } from "./client.ts";
import { RedisPresence } from "./presence.ts";

presenceContract("RedisPresence", async (options) => {
  const redis = await startRedis();
  const clients: RedisClient[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      clients.push(await createClient({ url: redis.url }).connect());
    }
  } catch (error) {
    for (const client of clients) client.destroy();
    await redis[Symbol.asyncDispose]();
    throw error;
  }
  const [clientA, clientB] = clients as [RedisClient, RedisClient];
  const a = new RedisPresence(clientA, options);
  const b = new RedisPresence(clientB, options);
  return {
    a,
    b,
    // Its own connection gone, A neither beats nor cleans up.
    killA: () => clientA.destroy(),
    async [Symbol.asyncDispose]() {
      await a.close();
      await b.close();
      for (const client of clients) if (client.isOpen) client.destroy();
      await redis[Symbol.asyncDispose]();
    },
  };
}, { shared: true, ignore: SKIP_REDIS });
