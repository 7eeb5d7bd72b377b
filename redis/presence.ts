/**
 * {@linkcode Presence} across instances in Redis.
 *
 * Each instance counts its own connections per (room, name) in memory and
 * keeps one Redis entry per (room, name) it has: `chat:{room}:user:NAME` is
 * a sorted set of instance ids scored by expiry time, and
 * `chat:{room}:users` a sorted set of names scored by their latest expiry.
 * A heartbeat pushes the expiries forward; an instance that dies stops
 * doing so and its names drop out after the TTL. A name with tabs on two
 * instances is one member.
 *
 * @module
 */
import { log } from "../observability/log.ts";
import { ConnectionCounts, type Presence } from "../chat/presence.ts";
import type { RedisClient } from "./client.ts";

/** Options for {@linkcode RedisPresence}. */
export interface RedisPresenceOptions {
  /**
   * Milliseconds an instance's entries live without a heartbeat; the
   * heartbeat runs every third of it.
   *
   * @default {15000}
   */
  ttlMs?: number;
  /**
   * Clock in milliseconds since the Unix epoch.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

// KEYS: user key, room key. ARGV: instance, user, now, ttl. Returns how many
// live instances have the user in the room, this one included.
const JOIN_SCRIPT = `
local expiry = tonumber(ARGV[3]) + tonumber(ARGV[4])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[3])
redis.call("ZADD", KEYS[1], expiry, ARGV[1])
redis.call("PEXPIRE", KEYS[1], ARGV[4])
redis.call("ZADD", KEYS[2], "GT", expiry, ARGV[2])
redis.call("PEXPIRE", KEYS[2], ARGV[4])
return redis.call("ZCARD", KEYS[1])
`;

// KEYS: user key, room key. ARGV: instance, user, now. Returns how many live
// instances still have the user in the room.
const LEAVE_SCRIPT = `
redis.call("ZREM", KEYS[1], ARGV[1])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[3])
local left = redis.call("ZCARD", KEYS[1])
if left == 0 then redis.call("ZREM", KEYS[2], ARGV[2]) end
return left
`;

function keys(room: string, user: string): string[] {
  return [`chat:{${room}}:user:${user}`, `chat:{${room}}:users`];
}

/**
 * Room members shared by every instance through Redis.
 *
 * @example Wiring (needs a running Redis)
 * ```ts ignore
 * import { createClient } from "redis";
 * import { RedisPresence } from "./presence.ts";
 *
 * const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * await using presence = new RedisPresence(client);
 * await presence.join("general", "ada");
 * console.log(await presence.members("general"));
 * ```
 */
export class RedisPresence implements Presence {
  /** This instance's id in the presence entries. */
  readonly instanceId: string = crypto.randomUUID();
  #client: RedisClient;
  #ttlMs: number;
  #now: () => number;
  /** Local connections per name per room. */
  #counts = new ConnectionCounts();
  #timer: ReturnType<typeof setInterval>;
  #closed = false;

  /** Uses `client`, which the caller owns; starts the heartbeat. */
  constructor(client: RedisClient, options: RedisPresenceOptions = {}) {
    this.#client = client;
    this.#ttlMs = options.ttlMs ?? 15_000;
    this.#now = options.now ?? Date.now;
    this.#timer = setInterval(() => this.#heartbeat(), this.#ttlMs / 3);
  }

  /** Adds one local connection; `true` when no instance had `user` in `room`. */
  async join(room: string, user: string): Promise<boolean> {
    if (!this.#counts.add(room, user)) return false;
    try {
      return await this.#refresh(room, user) === 1;
    } catch (error) {
      this.#counts.remove(room, user);
      throw error;
    }
  }

  /** Removes one local connection; `true` when no instance has `user` in `room` any more. */
  async leave(room: string, user: string): Promise<boolean> {
    if (!this.#counts.remove(room, user)) return false;
    const left = await this.#client.eval(LEAVE_SCRIPT, {
      keys: keys(room, user),
      arguments: [this.instanceId, user, String(this.#now())],
    });
    return left === 0;
  }

  /**
   * Names present in `room` on any live instance, sorted; with `limit`, at
   * most that many, read in expiry order (the room is not read whole).
   */
  async members(room: string, limit?: number): Promise<string[]> {
    const names = await this.#client.zRange(
      `chat:{${room}}:users`,
      String(this.#now()),
      "+inf",
      limit === undefined
        ? { BY: "SCORE" }
        : { BY: "SCORE", LIMIT: { offset: 0, count: limit } },
    );
    return names.map(String).sort();
  }

  /** How many names have a live entry in `room`. */
  async count(room: string): Promise<number> {
    return Number(
      await this.#client.zCount(
        `chat:{${room}}:users`,
        String(this.#now()),
        "+inf",
      ),
    );
  }

  /** Stops the heartbeat and removes this instance's entries; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    const entries = this.#counts.entries();
    this.#counts.clear();
    if (!this.#client.isReady) return;
    await Promise.all(
      entries.map(([room, user]) =>
        this.#client.eval(LEAVE_SCRIPT, {
          keys: keys(room, user),
          arguments: [this.instanceId, user, String(this.#now())],
        })
      ),
    ).catch((error) => log("warn", "presence.cleanup_failed", { error }));
  }

  /** Same as {@linkcode RedisPresence.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #refresh(room: string, user: string): Promise<number> {
    const count = await this.#client.eval(JOIN_SCRIPT, {
      keys: keys(room, user),
      arguments: [
        this.instanceId,
        user,
        String(this.#now()),
        String(this.#ttlMs),
      ],
    });
    return Number(count);
  }

  #heartbeat(): void {
    if (!this.#client.isReady) return;
    for (const [room, user] of this.#counts.entries()) {
      this.#refresh(room, user).catch((error) =>
        log("debug", "presence.heartbeat_failed", { room, error })
      );
    }
  }
}
