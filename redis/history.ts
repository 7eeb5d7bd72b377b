/**
 * Message history in Redis, shared by every instance of the server.
 *
 * Keys, all with the room as a hash tag so one room lives on one shard:
 * `chat:{room}:head` is the room's last id (`INCR`), `chat:{room}:log` a
 * sorted set of messages scored by id, `chat:{room}:epoch` the epoch its ids
 * belong to, and `chat:{room}:nonce:[userId,nonce]` the id a nonce produced,
 * expiring after the de-duplication window. One Lua script numbers, stores,
 * de-duplicates and trims a whole batch atomically, so two instances can
 * never hand out the same id.
 *
 * Whatever writes or reads a room starts its epoch when it has none (`SET
 * NX`): a Redis restarted empty has lost the epoch with the head, so its ids
 * start again under a new one.
 *
 * @module
 */
import { BusMetrics, type DropReason } from "../chat/bus_metrics.ts";
import {
  type Draft,
  type History,
  type HistoryPage,
  type LogPage,
  messageOf,
  missesMessages,
  newEpoch,
  pageOf,
  type RoomPosition,
  type Stored,
} from "../chat/history.ts";
import type { ChatMessage } from "../chat/events.ts";
import { parseMessage } from "../chat/parse_event.ts";
import type { RedisClient } from "./client.ts";
import {
  APPEND_SCRIPT,
  keys,
  POSITION_SCRIPT,
  type RoomKeys,
} from "./_history_scripts.ts";

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

/** A transaction being built on the client. */
type Multi = ReturnType<RedisClient["multi"]>;

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
 * const [stored] = await history.append("general", [{ userId: "ada", user: "ada", text: "hi" }]);
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
    const { head, log, epoch: epochKey, nonce } = keys(room);
    const args = [
      String(this.#now()),
      String(this.#maxMessages),
      String(this.#maxAgeMs),
      String(this.#nonceTtlMs),
      nonce,
      newEpoch(),
    ];
    for (const draft of drafts) {
      const author: Record<string, unknown> = {
        user: draft.user,
        userId: draft.userId,
      };
      if (draft.guest) author.guest = true;
      args.push(
        // The entry's author fields, without their braces.
        JSON.stringify(author).slice(1, -1),
        JSON.stringify(draft.text),
        draft.nonce === undefined
          ? ""
          : JSON.stringify([draft.userId, draft.nonce]),
      );
    }
    const reply = await this.#client.eval(APPEND_SCRIPT, {
      keys: [head, log, epochKey],
      arguments: args,
    });
    const [epoch, rows] = Array.isArray(reply) ? reply : [];
    if (
      typeof epoch !== "string" || !Array.isArray(rows) ||
      rows.length !== drafts.length
    ) {
      throw new TypeError("Cannot store messages: unexpected reply from Redis");
    }
    return rows.map((row, i) => {
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
        : messageOf(room, id, 0, { ...draft, text: "" });
      return { message, duplicate: duplicate === 1, epoch };
    });
  }

  /** The latest `limit` messages of `room`, oldest first. */
  async latest(room: string, limit: number): Promise<HistoryPage> {
    const [epoch, entries] = await this.#read(
      room,
      (multi, { log }) =>
        multi.zRange(log, "+inf", "-inf", {
          BY: "SCORE",
          REV: true,
          LIMIT: { offset: 0, count: limit + 1 },
        }),
    );
    return this.#page(room, toArray(entries), limit, epoch);
  }

  /** Up to `limit` messages of `room` below id `before`, oldest first. */
  async before(
    room: string,
    before: number,
    limit: number,
  ): Promise<HistoryPage> {
    const [epoch, entries] = await this.#read(
      room,
      (multi, { log }) =>
        multi.zRange(log, `(${before}`, "-inf", {
          BY: "SCORE",
          REV: true,
          LIMIT: { offset: 0, count: limit + 1 },
        }),
    );
    return this.#page(room, toArray(entries), limit, epoch);
  }

  /** The latest `limit` messages above `since`; see {@linkcode History.resume}. */
  async resume(
    room: string,
    since: number,
    limit: number,
  ): Promise<HistoryPage> {
    // One transaction, so that the page, the oldest message and the head agree.
    const [epoch, newestFirst, oldestEntries, last] = await this.#read(
      room,
      (multi, { log, head }) =>
        multi.zRange(log, "+inf", `(${since}`, {
          BY: "SCORE",
          REV: true,
          LIMIT: { offset: 0, count: limit + 1 },
        }).zRange(log, `(${since}`, "+inf", {
          BY: "SCORE",
          LIMIT: { offset: 0, count: 1 },
        }).get(head),
    );
    const page = this.#page(room, toArray(newestFirst), limit, epoch);
    const [oldest] = this.#messages(room, toArray(oldestEntries));
    const truncated = (oldest !== undefined &&
      oldest.ts < this.#oldestKeptTs()) ||
      missesMessages(since, oldest, toHead(last));
    return { ...page, truncated };
  }

  /** Up to `limit` messages above `since`, oldest first; see {@linkcode History.after}. */
  async after(room: string, since: number, limit: number): Promise<LogPage> {
    const [epoch, entries, last] = await this.#read(
      room,
      (multi, { log, head }) =>
        multi.zRangeWithScores(log, `(${since}`, "+inf", {
          BY: "SCORE",
          LIMIT: { offset: 0, count: limit },
        }).get(head),
    );
    const scored = toArray(entries) as { value: unknown; score: unknown }[];
    const oldestKept = this.#oldestKeptTs();
    const messages = this.#messages(room, scored.map((entry) => entry.value))
      .filter((message) => message.ts >= oldestKept);
    const through = Math.max(
      since,
      ...scored.map((entry) => Number(entry.score)),
    );
    return { messages, through, head: toHead(last), epoch };
  }

  /** Where the room's log stands; see {@linkcode History.position}. */
  async position(room: string, seen?: RoomPosition): Promise<RoomPosition> {
    const { head, epoch } = keys(room);
    const reply = await this.#client.eval(POSITION_SCRIPT, {
      keys: [head, epoch],
      arguments: [
        newEpoch(),
        seen?.epoch ?? "",
        String(seen?.head ?? 0),
      ],
    });
    const [current, last] = Array.isArray(reply) ? reply : [];
    if (typeof current !== "string") {
      throw new TypeError("Cannot read room position: unexpected reply");
    }
    return { epoch: current, head: toHead(last) };
  }

  /** Nothing to release: the caller owns the client. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Same as {@linkcode RedisHistory.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Runs `commands` in one transaction after starting the room's epoch if
   * it has none, and returns the epoch and their replies.
   */
  async #read(
    room: string,
    commands: (multi: Multi, roomKeys: RoomKeys) => Multi,
  ): Promise<[string, ...unknown[]]> {
    const roomKeys = keys(room);
    const multi = this.#client.multi()
      .set(roomKeys.epoch, newEpoch(), { condition: "NX" })
      .get(roomKeys.epoch);
    const [, epoch, ...replies] = await commands(multi, roomKeys).exec();
    if (typeof epoch !== "string") {
      throw new TypeError("Cannot read history: unexpected reply from Redis");
    }
    return [epoch, ...replies];
  }

  #page(
    room: string,
    newestFirst: unknown[],
    limit: number,
    epoch: string,
  ): HistoryPage {
    return pageOf(
      this.#messages(room, newestFirst),
      limit,
      this.#oldestKeptTs(),
      epoch,
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
