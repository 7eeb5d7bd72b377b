import { createClient } from "redis";
import { amendmentContract } from "../testing/amendment_contract.ts";
import {
  historyContract,
  type OldMessage,
  type OpenHistory,
} from "../testing/history_contract.ts";
import { SKIP_REDIS, startRedis } from "../testing/redis.ts";
import type { RedisClient } from "./client.ts";
import { RedisHistory } from "./history.ts";

const openRedisHistory: OpenHistory = async (options) => {
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
    async dump() {
      const values = [];
      for (const key of await client!.keys("*")) {
        const type = await client!.type(key);
        if (type === "zset") values.push(...await client!.zRange(key, 0, -1));
        else if (type === "string") values.push(await client!.get(key));
        else throw new Error(`Cannot dump "${key}": unexpected type ${type}`);
      }
      return values.join("\n");
    },
    async [Symbol.asyncDispose]() {
      await history.close();
      client!.destroy();
      await redis[Symbol.asyncDispose]();
    },
  });
};

historyContract("RedisHistory", openRedisHistory, SKIP_REDIS);
amendmentContract("RedisHistory", openRedisHistory, SKIP_REDIS);
