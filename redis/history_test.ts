import { createClient } from "redis";
import {
  historyContract,
  type OldMessage,
} from "../testing/history_contract.ts";
import { SKIP_REDIS, startRedis } from "../testing/redis.ts";
import type { RedisClient } from "./client.ts";
import { RedisHistory } from "./history.ts";

historyContract("RedisHistory", async (options) => {
  const redis = await startRedis();
  let client: RedisClient | undefined;
  try {
    client = await createClient({ url: redis.url }).connect();
  } catch (error) {
    await redis[Symbol.asyncDispose]();
    throw error;
  }
  const history = new RedisHistory(client, options);
  return Object.assign(history, {
    async writeOld(room: string, message: OldMessage) {
      await client!.zAdd(`chat:{${room}}:log`, {
        score: message.id,
        value: JSON.stringify(message),
      });
      await client!.set(`chat:{${room}}:head`, String(message.id));
    },
    async [Symbol.asyncDispose]() {
      await history.close();
      client!.destroy();
      await redis[Symbol.asyncDispose]();
    },
  });
}, SKIP_REDIS);
