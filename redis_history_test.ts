import { createClient } from "redis";
import { historyContract } from "./_history_contract.ts";
import { SKIP_REDIS, startRedis } from "./_redis_test_utils.ts";
import { type RedisClient, RedisHistory } from "./redis_history.ts";

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
    async [Symbol.asyncDispose]() {
      await history.close();
      client!.destroy();
      await redis[Symbol.asyncDispose]();
    },
  });
}, SKIP_REDIS);
