/**
 * Bans and the moderation record in Redis, shared by every instance:
 * `chat:{room}:bans` is a hash of a room's bans by user id, `chat:bans` one
 * of server-wide bans, and `chat:moderation` a stream of the record, trimmed
 * by age (the stream's ids, times in milliseconds, are the records' ids). A
 * ban or an unban and its record are one transaction; an ended ban is
 * removed when it is next read.
 *
 * @module
 */
import {
  type ActionDraft,
  type Actor,
  type Ban,
  banRecord,
  DEFAULT_RECORD_MAX_AGE_MS,
  inForce,
  type ModerationRecord,
  type ModerationStore,
  pageRecords,
  type RecordPage,
  type RecordQuery,
  unbanRecord,
} from "../chat/moderation.ts";
import { parseBan, parseRecord } from "../chat/parse_moderation.ts";
import { type RedisClient, runScript } from "./client.ts";

/** The stream of the moderation record. */
const RECORD_KEY = "chat:moderation";
/** Records read from the stream at a time. */
const READ_PAGE = 100;

/**
 * Lifts a ban that is in force and records it; returns the record's id, or
 * nothing when there was no ban in force.
 *
 * KEYS: the bans hash, the record stream. ARGV: user id, now, the record
 * (JSON), the stream's oldest id to keep ("0" for all).
 */
const UNBAN_SCRIPT = `
local stored = redis.call("HGET", KEYS[1], ARGV[1])
if not stored then return false end
redis.call("HDEL", KEYS[1], ARGV[1])
local ok, ban = pcall(cjson.decode, stored)
if not ok or type(ban) ~= "table" or
    (ban["until"] ~= cjson.null and
      tonumber(ban["until"]) <= tonumber(ARGV[2])) then
  return false
end
return redis.call("XADD", KEYS[2], "MINID", "~", ARGV[4], "*", "record", ARGV[3])
`;

/** Options for {@linkcode RedisModeration}. */
export interface RedisModerationOptions {
  /**
   * Milliseconds a record is kept; 0 keeps it for good.
   *
   * @default {31536000000}
   */
  maxAgeMs?: number;
  /**
   * Clock in milliseconds since the Unix epoch.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

function bansKey(room: string | null): string {
  return room === null ? "chat:bans" : `chat:{${room}}:bans`;
}

/**
 * {@linkcode ModerationStore} over Redis.
 *
 * @example Wiring (needs a running Redis)
 * ```ts ignore
 * import { createClient } from "redis";
 * import { RedisModeration } from "./moderation.ts";
 *
 * const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const store = new RedisModeration(client);
 * await store.ban({ userId: "bo", room: "general", until: null, by: { id: "m", name: "Mo" } });
 * console.log(await store.banOf("bo", "general"));
 * client.destroy();
 * ```
 */
export class RedisModeration implements ModerationStore {
  #client: RedisClient;
  #maxAgeMs: number;
  #now: () => number;

  /** Uses `client`, which the caller owns and closes. */
  constructor(client: RedisClient, options: RedisModerationOptions = {}) {
    this.#client = client;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_RECORD_MAX_AGE_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Stores and records a ban in one transaction; see {@linkcode ModerationStore.ban}. */
  async ban(
    draft: Omit<Ban, "at">,
  ): Promise<{ ban: Ban; record: ModerationRecord }> {
    const ban: Ban = { ...draft, at: this.#now() };
    const { id: _, ...record } = { id: "", ...banRecord(ban) };
    const [, id] = await this.#client.multi()
      .hSet(bansKey(ban.room), ban.userId, JSON.stringify(ban))
      .xAdd(RECORD_KEY, "*", { record: JSON.stringify(record) }, this.#trim())
      .exec();
    return { ban, record: { id: String(id), ...record } };
  }

  /** Lifts and records a ban in one script; see {@linkcode ModerationStore.unban}. */
  async unban(
    userId: string,
    room: string | null,
    by: Actor,
  ): Promise<ModerationRecord | undefined> {
    const record = unbanRecord(userId, room, by, this.#now());
    const id = await runScript(this.#client, UNBAN_SCRIPT, {
      keys: [bansKey(room), RECORD_KEY],
      arguments: [
        userId,
        String(record.at),
        JSON.stringify(record),
        String(this.#oldestKept()),
      ],
    });
    return typeof id === "string" ? { id, ...record } : undefined;
  }

  /** The ban in force; see {@linkcode ModerationStore.banOf}. */
  async banOf(userId: string, room: string): Promise<Ban | undefined> {
    const scopes = [room, null];
    const stored = await Promise.all(
      scopes.map((scope) => this.#client.hGet(bansKey(scope), userId)),
    );
    const now = this.#now();
    for (const [i, raw] of stored.entries()) {
      if (typeof raw !== "string") continue;
      const ban = parseJson(raw, parseBan);
      if (ban !== undefined && inForce(ban, now)) return ban;
      // Ended, or not a ban at all: nothing keeps it.
      await this.#client.hDel(bansKey(scopes[i]!), userId);
    }
    return undefined;
  }

  /** The bans in force of a scope; see {@linkcode ModerationStore.bans}. */
  async bans(room: string | null, limit: number): Promise<Ban[]> {
    const stored = await this.#client.hGetAll(bansKey(room));
    const now = this.#now();
    const bans: Ban[] = [];
    const ended: string[] = [];
    for (const [userId, raw] of Object.entries(stored)) {
      const ban = parseJson(String(raw), parseBan);
      if (ban === undefined || !inForce(ban, now)) ended.push(userId);
      else bans.push(ban);
    }
    if (ended.length > 0) await this.#client.hDel(bansKey(room), ended);
    return bans.slice(0, limit);
  }

  /** Records an action; see {@linkcode ModerationStore.record}. */
  async record(action: ActionDraft): Promise<ModerationRecord> {
    const record = { ...action, at: this.#now() };
    const id = await this.#client.xAdd(
      RECORD_KEY,
      "*",
      { record: JSON.stringify(record) },
      this.#trim(),
    );
    return { id: String(id), ...record };
  }

  /** Reads the record, newest first; see {@linkcode ModerationStore.records}. */
  records(query: RecordQuery): Promise<RecordPage> {
    return pageRecords(this.#newestFirst(query.before), query);
  }

  /** Nothing to release: the caller owns the client. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Same as {@linkcode RedisModeration.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The stream's records before `before`, newest first, read a page at a time. */
  async *#newestFirst(before?: string): AsyncGenerator<ModerationRecord> {
    let end = before === undefined ? "+" : `(${before}`;
    while (true) {
      const reply = await this.#client.sendCommand([
        "XREVRANGE",
        RECORD_KEY,
        end,
        "-",
        "COUNT",
        String(READ_PAGE),
      ]);
      const page = Array.isArray(reply) ? reply : [];
      for (const item of page) {
        // Each item is [id, [field, value, …]]; the record is the one field.
        const [id, fields] = Array.isArray(item) ? item : [];
        if (typeof id !== "string" || !Array.isArray(fields)) continue;
        const record = parseJson(
          String(fields[1]),
          (value) => parseRecord(value, id),
        );
        if (record !== undefined) yield record;
      }
      const last = page.at(-1);
      if (page.length < READ_PAGE || !Array.isArray(last)) return;
      end = `(${String(last[0])}`;
    }
  }

  /** The oldest stream id the age limit keeps: a time in milliseconds, 0 for all. */
  #oldestKept(): number {
    return this.#maxAgeMs > 0 ? this.#now() - this.#maxAgeMs : 0;
  }

  #trim() {
    return {
      TRIM: {
        strategy: "MINID" as const,
        strategyModifier: "~" as const,
        threshold: this.#oldestKept(),
      },
    };
  }
}

/** Parses stored JSON and checks it; `undefined` for what is not valid. */
function parseJson<T>(
  raw: string,
  parse: (value: unknown) => T | undefined,
): T | undefined {
  try {
    return parse(JSON.parse(raw));
  } catch {
    return undefined;
  }
}
