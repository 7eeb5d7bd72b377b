/**
 * Message history in Redis, shared by every instance of the server.
 *
 * Keys, all with the room as a hash tag so one room lives on one shard:
 * `chat:{room}:head` is the room's last id (`INCR`), `chat:{room}:log` a
 * sorted set of messages scored by id, and `chat:{room}:nonce:[user,nonce]`
 * the id a nonce produced, expiring after the de-duplication window. One Lua
 * script numbers, stores, de-duplicates and trims a whole batch atomically,
 * so two instances can never hand out the same id.
 *
 * @module
 */
import { BusMetrics, type DropReason } from "../chat/bus_metrics.ts";
import {
  type Draft,
  type History,
  type HistoryPage,
  type LogPage,
  missesMessages,
  pageOf,
  type Stored,
} from "../chat/history.ts";
import type { ChatMessage } from "../chat/events.ts";
import { parseMessage } from "../chat/parse_event.ts";
import type { RedisClient } from "./client.ts";

/** Options for {@linkcode RedisHistory}. */
export interface RedisHistoryOptions {
  /**
   * Messages kept per room.
   *
   * @default {10000}
   */
  maxMessages?: number;
  /**
   * Milliseconds a message is kept; 0 for no age limit.
   *
   * @default {2592000000}
   */
  maxAgeMs?: number;
  /**
   * Milliseconds a nonce is remembered.
   *
   * @default {600000}
   */
  nonceTtlMs?: number;
  /**
   * Clock in milliseconds since the Unix epoch.
   *
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * Where log entries that are not valid messages are counted; they are
   * skipped, never sent.
   *
   * @default {new BusMetrics()}
   */
  metrics?: BusMetrics;
}

/** Oldest log entries an append inspects for age-based deletion. */
const AGE_TRIM_SCAN = 100;

// KEYS: head, log. ARGV: ts, maxMessages, maxAgeMs, nonceTtlMs, nonce key
// prefix, then per draft: user (JSON), text (JSON), nonce key suffix or "".
// The entry is assembled from pre-encoded JSON strings so Lua never has to
// encode text itself.
const APPEND_SCRIPT = `
local ts = ARGV[1]
local maxMessages = tonumber(ARGV[2])
local maxAge = tonumber(ARGV[3])
local out = {}
for i = 6, #ARGV, 3 do
  local nonce = ARGV[i + 2]
  local earlier = false
  if nonce ~= "" then earlier = redis.call("GET", ARGV[5] .. nonce) end
  if earlier then
    local found = redis.call("ZRANGE", KEYS[2], earlier, earlier, "BYSCORE")
    out[#out + 1] = {tonumber(earlier), 1, found[1] or ""}
  else
    local id = redis.call("INCR", KEYS[1])
    local entry = '{"id":' .. id .. ',"ts":' .. ts .. ',"user":' .. ARGV[i] ..
      ',"text":' .. ARGV[i + 1] .. '}'
    redis.call("ZADD", KEYS[2], id, entry)
    if nonce ~= "" then
      redis.call("SET", ARGV[5] .. nonce, id, "PX", ARGV[4])
    end
    out[#out + 1] = {id, 0, entry}
  end
end
local head = tonumber(redis.call("GET", KEYS[1]) or "0")
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", head - maxMessages)
if maxAge > 0 then
  local cutoff = tonumber(ts) - maxAge
  for _, entry in ipairs(redis.call("ZRANGE", KEYS[2], 0, ${
  AGE_TRIM_SCAN - 1
})) do
    local entryTs = tonumber(string.match(entry, '"ts":(%d+)'))
    if entryTs == nil or entryTs >= cutoff then break end
    redis.call("ZREM", KEYS[2], entry)
  end
  redis.call("PEXPIRE", KEYS[2], maxAge)
end
return out
`;

/** Keys of one room; the `{room}` hash tag keeps them on one cluster slot. */
function keys(room: string) {
  const base = `chat:{${room}}`;
  return { head: `${base}:head`, log: `${base}:log`, nonce: `${base}:nonce:` };
}

/**
 * {@linkcode History} over Redis, so that any instance can number, store and
 * serve any room's messages.
 *
 * @example Append and read back (needs a running Redis)
 * ```ts ignore
 * import { createClient } from "redis";
 * import { RedisHistory } from "./history.ts";
 *
 * const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const history = new RedisHistory(client);
 * const [stored] = await history.append("general", [{ user: "ada", text: "hi" }]);
 * console.log(stored?.message.id, await history.latest("general", 10));
 * client.destroy();
 * ```
 */
export class RedisHistory implements History {
  #client: RedisClient;
  #maxMessages: number;
  #maxAgeMs: number;
  #nonceTtlMs: number;
  #now: () => number;
  #metrics: BusMetrics;

  /** Uses `client`, which the caller owns and closes. */
  constructor(client: RedisClient, options: RedisHistoryOptions = {}) {
    this.#client = client;
    this.#maxMessages = options.maxMessages ?? 10_000;
    this.#maxAgeMs = options.maxAgeMs ?? 30 * 24 * 3600_000;
    this.#nonceTtlMs = options.nonceTtlMs ?? 600_000;
    this.#now = options.now ?? Date.now;
    this.#metrics = options.metrics ?? new BusMetrics();
  }

  /** Stores `drafts` in one atomic script; see {@linkcode History.append}. */
  async append(room: string, drafts: readonly Draft[]): Promise<Stored[]> {
    if (drafts.length === 0) return [];
    const { head, log, nonce } = keys(room);
    const args = [
      String(this.#now()),
      String(this.#maxMessages),
      String(this.#maxAgeMs),
      String(this.#nonceTtlMs),
      nonce,
    ];
    for (const draft of drafts) {
      args.push(
        JSON.stringify(draft.user),
        JSON.stringify(draft.text),
        draft.nonce === undefined
          ? ""
          : JSON.stringify([draft.user, draft.nonce]),
      );
    }
    const reply = await this.#client.eval(APPEND_SCRIPT, {
      keys: [head, log],
      arguments: args,
    });
    if (!Array.isArray(reply) || reply.length !== drafts.length) {
      throw new TypeError("Cannot store messages: unexpected reply from Redis");
    }
    return reply.map((row, i) => {
      const draft = drafts[i]!;
      if (!Array.isArray(row) || typeof row[0] !== "number") {
        throw new TypeError("Cannot store messages: unexpected reply row");
      }
      const [id, duplicate, entry] = row;
      const stored = typeof entry === "string" && entry !== ""
        ? parseEntry(room, entry)
        : undefined;
      if (typeof stored === "string") {
        throw new TypeError(
          `Cannot store messages: room "${room}" has a bad log entry (${stored})`,
        );
      }
      const message = stored !== undefined
        ? stored
        // The original was deleted by retention: its id is all that is left.
        : {
          type: "message" as const,
          id,
          room,
          ts: 0,
          user: draft.user,
          text: "",
        };
      return { message, duplicate: duplicate === 1 };
    });
  }

  /** The latest `limit` messages of `room`, oldest first. */
  async latest(room: string, limit: number): Promise<HistoryPage> {
    const entries = await this.#client.zRange(keys(room).log, "+inf", "-inf", {
      BY: "SCORE",
      REV: true,
      LIMIT: { offset: 0, count: limit + 1 },
    });
    return this.#page(room, entries, limit);
  }

  /** Up to `limit` messages of `room` below id `before`, oldest first. */
  async before(
    room: string,
    before: number,
    limit: number,
  ): Promise<HistoryPage> {
    const entries = await this.#client.zRange(
      keys(room).log,
      `(${before}`,
      "-inf",
      { BY: "SCORE", REV: true, LIMIT: { offset: 0, count: limit + 1 } },
    );
    return this.#page(room, entries, limit);
  }

  /** The latest `limit` messages above `since`; see {@linkcode History.resume}. */
  async resume(
    room: string,
    since: number,
    limit: number,
  ): Promise<HistoryPage> {
    const { log, head } = keys(room);
    // One transaction, so that the page, the oldest message and the head agree.
    const [newestFirst, oldestEntries, last] = await this.#client.multi()
      .zRange(log, "+inf", `(${since}`, {
        BY: "SCORE",
        REV: true,
        LIMIT: { offset: 0, count: limit + 1 },
      })
      .zRange(log, `(${since}`, "+inf", {
        BY: "SCORE",
        LIMIT: { offset: 0, count: 1 },
      })
      .get(head)
      .exec();
    const page = this.#page(room, toArray(newestFirst), limit);
    const [oldest] = this.#messages(room, toArray(oldestEntries));
    const truncated = (oldest !== undefined &&
      oldest.ts < this.#oldestKeptTs()) ||
      missesMessages(since, oldest, toHead(last));
    return { ...page, truncated };
  }

  /** Up to `limit` messages above `since`, oldest first; see {@linkcode History.after}. */
  async after(room: string, since: number, limit: number): Promise<LogPage> {
    const { log, head } = keys(room);
    const [entries, last] = await this.#client.multi()
      .zRangeWithScores(log, `(${since}`, "+inf", {
        BY: "SCORE",
        LIMIT: { offset: 0, count: limit },
      })
      .get(head)
      .exec();
    const scored = toArray(entries) as { value: unknown; score: unknown }[];
    const oldestKept = this.#oldestKeptTs();
    const messages = this.#messages(room, scored.map((entry) => entry.value))
      .filter((message) => message.ts >= oldestKept);
    const through = Math.max(
      since,
      ...scored.map((entry) => Number(entry.score)),
    );
    return { messages, through, head: toHead(last) };
  }

  /**
   * The room's last id, 0 before its first message.
   *
   * @param room The room.
   * @returns The id the latest message got.
   */
  async head(room: string): Promise<number> {
    return toHead(await this.#client.get(keys(room).head));
  }

  /** Nothing to release: the caller owns the client. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Same as {@linkcode RedisHistory.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #page(room: string, newestFirst: unknown[], limit: number): HistoryPage {
    return pageOf(
      this.#messages(room, newestFirst),
      limit,
      this.#oldestKeptTs(),
    );
  }

  /** Decodes log entries, skipping (and counting) those that are not messages. */
  #messages(room: string, entries: unknown[]): ChatMessage[] {
    const messages: ChatMessage[] = [];
    for (const entry of entries) {
      const message = parseEntry(room, String(entry));
      if (typeof message === "string") this.#metrics.drop(message, { room });
      else messages.push(message);
    }
    return messages;
  }

  #oldestKeptTs(): number {
    return this.#maxAgeMs > 0 ? this.#now() - this.#maxAgeMs : -Infinity;
  }
}

/** A reply that should be a list of entries, as a list. */
function toArray(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) {
    throw new TypeError("Cannot read history: unexpected reply from Redis");
  }
  return reply;
}

/** The head key's value as an id: 0 when absent. */
function toHead(value: unknown): number {
  const head = value === null ? 0 : Number(value);
  if (!Number.isSafeInteger(head) || head < 0) {
    throw new TypeError(`Cannot read history: bad head "${String(value)}"`);
  }
  return head;
}

/** Decodes one log entry, checking every field rather than trusting the store. */
function parseEntry(room: string, raw: string): ChatMessage | DropReason {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return "json";
  }
  if (typeof value !== "object" || value === null) return "shape";
  return parseMessage(room, value as Record<string, unknown>);
}
