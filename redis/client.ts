/**
 * The Redis connections an instance keeps: one for commands and one for its
 * pub/sub subscription, both reconnecting by themselves.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createClient, type RedisClientType } from "redis";
import { log } from "../observability/log.ts";

/** A connected node-redis client, as `createClient()` returns it. */
// deno-lint-ignore no-explicit-any
export type RedisClient = RedisClientType<any, any, any, any, any>;

/** Milliseconds a Redis command may take before it fails (and a send is answered `unavailable`). */
export const REDIS_COMMAND_TIMEOUT_MS = 2000;
/** Longest pause, in milliseconds, between attempts to reach Redis again. */
export const REDIS_MAX_RECONNECT_DELAY_MS = 1000;

/** The two connections of {@linkcode connectRedis}. */
export interface RedisClients extends Disposable {
  /** Commands; fails at once while disconnected. */
  client: RedisClient;
  /** The pub/sub subscription; keeps its commands until it is connected. */
  subscriber: RedisClient;
}

/**
 * Starts connecting to Redis and returns at once, even when Redis is down:
 * both clients reconnect by themselves, and log when they lose and regain
 * the link.
 *
 * @param url The Redis URL, e.g. `redis://127.0.0.1:6379`.
 * @returns The command client and the subscriber; dispose them to disconnect.
 */
export function connectRedis(url: string): RedisClients {
  const options = {
    url,
    // Fail at once while disconnected, so a send is answered `unavailable`
    // instead of waiting: the client keeps it and sends it again.
    disableOfflineQueue: true,
    commandOptions: { timeout: REDIS_COMMAND_TIMEOUT_MS },
    socket: {
      connectTimeout: REDIS_COMMAND_TIMEOUT_MS,
      reconnectStrategy: (retries: number) =>
        Math.min(50 * 2 ** retries, REDIS_MAX_RECONNECT_DELAY_MS),
    },
  };
  const client: RedisClient = createClient(options);
  // The subscriber keeps its queue, so its SUBSCRIBE goes out once connected.
  const subscriber: RedisClient = createClient({
    ...options,
    disableOfflineQueue: false,
    commandOptions: undefined,
  });
  for (
    const [name, each] of [["client", client], [
      "subscriber",
      subscriber,
    ]] as const
  ) {
    let down = false;
    each.on("error", (error: Error) => {
      if (!down) log("warn", "redis.error", { connection: name, error });
      down = true;
    });
    each.on("ready", () => {
      if (down) log("info", "redis.reconnected", { connection: name });
      down = false;
    });
    each.connect().catch((error: Error) =>
      log("error", "redis.connect_failed", { connection: name, error })
    );
  }
  return {
    client,
    subscriber,
    [Symbol.dispose]() {
      client.destroy();
      subscriber.destroy();
    },
  };
}

/** SHA1 of each script run so far, by its text. */
const scriptHashes = new Map<string, string>();

/**
 * Runs a Lua script by its SHA1 (`EVALSHA`), and sends its text (`EVAL`,
 * which also caches it in Redis) only when Redis does not have it: a script
 * run on every message should not travel, nor be hashed by Redis, each time.
 *
 * @param client The connection.
 * @param script The script's text.
 * @param options Its keys and arguments.
 * @returns The script's reply.
 * @throws What the script or the connection throws.
 */
export async function runScript(
  client: RedisClient,
  script: string,
  options: { keys: string[]; arguments: string[] },
): Promise<unknown> {
  let sha = scriptHashes.get(script);
  if (sha === undefined) {
    sha = createHash("sha1").update(script).digest("hex");
    scriptHashes.set(script, sha);
  }
  try {
    return await client.evalSha(sha, options);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) {
      throw error;
    }
    return await client.eval(script, options);
  }
}
