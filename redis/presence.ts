/**
 * {@linkcode Presence} across instances in Redis.
 *
 * Each instance counts its own connections per (room, user) in memory and
 * keeps one Redis entry per (room, user) it has: `chat:{room}:user:ID` is a
 * sorted set of instance ids scored by expiry time, `chat:{room}:users` a
 * sorted set of user ids scored by their latest expiry, and
 * `chat:{room}:names` a hash of each user's name as they joined last. A
 * heartbeat pushes the expiries forward; an instance that dies stops doing
 * so and its users drop out after the TTL. A user with tabs on two instances
 * is one member.
 *
 * @module
 */
import { log } from "../observability/log.ts";
import { byName, type Member } from "../chat/events.ts";
import { parseMember } from "../chat/parse_event.ts";
import { ConnectionCounts, type Presence } from "../chat/presence.ts";
import { type RedisClient, runScript } from "./client.ts";

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

// KEYS: user key, room key, names key. ARGV: instance, user id, now, ttl,
// the member's name and guest mark (JSON), "1" to list the user under it
// (a join) or "0" to keep a name another instance set since (a heartbeat).
// Returns how many live instances have the user in the room, this one
// included.
const JOIN_SCRIPT = `
local expiry = tonumber(ARGV[3]) + tonumber(ARGV[4])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[3])
redis.call("ZADD", KEYS[1], expiry, ARGV[1])
redis.call("PEXPIRE", KEYS[1], ARGV[4])
redis.call("ZADD", KEYS[2], "GT", expiry, ARGV[2])
redis.call("PEXPIRE", KEYS[2], ARGV[4])
if ARGV[6] == "1" then
  redis.call("HSET", KEYS[3], ARGV[2], ARGV[5])
else
  redis.call("HSETNX", KEYS[3], ARGV[2], ARGV[5])
end
redis.call("PEXPIRE", KEYS[3], ARGV[4])
return redis.call("ZCARD", KEYS[1])
`;

// KEYS: user key, room key, names key. ARGV: instance, user id, now. Returns
// how many live instances still have the user in the room.
const LEAVE_SCRIPT = `
redis.call("ZREM", KEYS[1], ARGV[1])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[3])
local left = redis.call("ZCARD", KEYS[1])
if left == 0 then
  redis.call("ZREM", KEYS[2], ARGV[2])
  redis.call("HDEL", KEYS[3], ARGV[2])
end
return left
`;

function keys(room: string, userId: string): string[] {
  const base = `chat:{${room}}`;
  return [`${base}:user:${userId}`, `${base}:users`, `${base}:names`];
}

/** A member's name and guest mark, as the names hash keeps them. */
function listing(member: Member): string {
  return JSON.stringify(
    member.guest ? { name: member.name, guest: true } : { name: member.name },
  );
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
 * await presence.join("general", { id: "u1", name: "Ada" });
 * console.log(await presence.members("general"));
 * ```
 */
export class RedisPresence implements Presence {
  /** This instance's id in the presence entries. */
  readonly instanceId: string = crypto.randomUUID();
  #client: RedisClient;
  #ttlMs: number;
  #now: () => number;
  /** Local connections per user per room. */
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

  /**
   * Adds one local connection and lists the user under `member.name`;
   * `true` when no instance had the user in `room`.
   */
  async join(room: string, member: Member): Promise<boolean> {
    const previous = this.#counts.member(room, member.id);
    const first = this.#counts.add(room, member);
    if (!first && listing(previous!) === listing(member)) return false;
    try {
      return await this.#refresh(room, member, true) === 1 && first;
    } catch (error) {
      if (first) this.#counts.remove(room, member);
      throw error;
    }
  }

  /** Removes one local connection; `true` when no instance has the user in `room` any more. */
  async leave(room: string, member: Member): Promise<boolean> {
    if (!this.#counts.remove(room, member)) return false;
    const left = await runScript(this.#client, LEAVE_SCRIPT, {
      keys: keys(room, member.id),
      arguments: [this.instanceId, member.id, String(this.#now())],
    });
    return left === 0;
  }

  /**
   * Users present in `room` on any live instance, sorted by name; with
   * `limit`, at most that many, read in expiry order (the room is not read
   * whole).
   */
  async members(room: string, limit?: number): Promise<Member[]> {
    const ids = (await this.#client.zRange(
      `chat:{${room}}:users`,
      String(this.#now()),
      "+inf",
      limit === undefined
        ? { BY: "SCORE" }
        : { BY: "SCORE", LIMIT: { offset: 0, count: limit } },
    )).map(String);
    if (ids.length === 0) return [];
    const listings = await this.#client.hmGet(`chat:{${room}}:names`, ids);
    const members: Member[] = [];
    for (const [i, id] of ids.entries()) {
      let fields: unknown;
      try {
        fields = JSON.parse(String(listings[i]));
      } catch {
        continue;
      }
      const member = parseMember({ ...fields as object, id });
      if (member !== undefined) members.push(member);
    }
    return members.sort(byName);
  }

  /** How many users have a live entry in `room`. */
  async count(room: string): Promise<number> {
    return Number(
      await this.#client.zCount(
        `chat:{${room}}:users`,
        String(this.#now()),
        "+inf",
      ),
    );
  }

  /**
   * Up to `limit` rooms where a user has a live entry on any instance and
   * that `accept` takes, found by scanning the keyspace for rooms' member
   * sets.
   */
  async rooms(
    limit: number,
    accept: (room: string) => boolean = () => true,
  ): Promise<string[]> {
    const rooms: string[] = [];
    const now = this.#now();
    let cursor = "0";
    do {
      const reply = await this.#client.sendCommand([
        "SCAN",
        cursor,
        "MATCH",
        "chat:{*}:users",
        "COUNT",
        "100",
      ]);
      const [next, keys] = Array.isArray(reply) ? reply : [];
      if (typeof next !== "string" || !Array.isArray(keys)) {
        throw new TypeError("Cannot list rooms: unexpected reply from Redis");
      }
      cursor = next;
      for (const key of keys.map(String)) {
        const room = key.slice("chat:{".length, -"}:users".length);
        if (rooms.length === limit || rooms.includes(room) || !accept(room)) {
          continue;
        }
        const live = Number(await this.#client.zCount(key, now, "+inf"));
        if (live > 0) rooms.push(room);
      }
    } while (cursor !== "0" && rooms.length < limit);
    return rooms;
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
      entries.map(([room, member]) =>
        runScript(this.#client, LEAVE_SCRIPT, {
          keys: keys(room, member.id),
          arguments: [this.instanceId, member.id, String(this.#now())],
        })
      ),
    ).catch((error) => log("warn", "presence.cleanup_failed", { error }));
  }

  /** Same as {@linkcode RedisPresence.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #refresh(
    room: string,
    member: Member,
    rename: boolean,
  ): Promise<number> {
    const count = await runScript(this.#client, JOIN_SCRIPT, {
      keys: keys(room, member.id),
      arguments: [
        this.instanceId,
        member.id,
        String(this.#now()),
        String(this.#ttlMs),
        listing(member),
        rename ? "1" : "0",
      ],
    });
    return Number(count);
  }

  #heartbeat(): void {
    if (!this.#client.isReady) return;
    for (const [room, member] of this.#counts.entries()) {
      this.#refresh(room, member, false).catch((error) =>
        log("debug", "presence.heartbeat_failed", { room, error })
      );
    }
  }
}
