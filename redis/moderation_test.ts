import { createClient } from "redis";
import { moderationContract } from "../testing/moderation_contract.ts";
import { SKIP_REDIS, startRedis } from "../testing/redis.ts";
import type { RedisClient } from "./client.ts";
import { RedisModeration } from "./moderation.ts";

moderationContract("RedisModeration", async (now) => {
  const redis = await startRedis();
  let client: RedisClient;
  try {
    client = await createClient({ url: redis.url }).connect();
  } catch (error) {
    await redis[Symbol.asyncDispose]();
    throw error;
  }
  return Object.assign(new RedisModeration(client, { now }), {
    async [Symbol.asyncDispose]() {
      client.destroy();
      await redis[Symbol.asyncDispose]();
    },
  });
}, SKIP_REDIS);
