/**
 * Message history in Redis, shared by every instance of the server.
 *
 * Keys, all with the room as a hash tag so one room lives on one shard:
 * `chat:{room}:head` is the room's last id (`INCR`), `chat:{room}:log` a
 * sorted set of messages (their current records) scored by id,
 * `chat:{room}:amend` one of the edits and deletions of messages, numbered in
 * the same sequence, `chat:{room}:epoch` the epoch its ids belong to, and
 * `chat:{room}:nonce:[userId,nonce]` the id a nonce produced, expiring after
 * the de-duplication window. One Lua script numbers, stores, de-duplicates
 * and trims a whole batch atomically, so two instances can never hand out
 * the same id; another stores an amendment and rewrites its message.
 *
 * Whatever writes or reads a room starts its epoch when it has none (`SET
 * NX`): a Redis restarted empty has lost the epoch with the head, so its ids
 * start again under a new one.
 *
 * @module
 */
import type { Amended, Amendment } from "../chat/amendments.ts";
import { BusMetrics } from "../chat/bus_metrics.ts";
import {
  type Draft,
  type History,
  type HistoryPage,
  historySettings,
  type HistoryStoreOptions,
  type LogPage,
  newEpoch,
  type RoomPosition,
  type Stored,
} from "../chat/history.ts";
import { mergeById, missesMessages, pageOf } from "../chat/pages.ts";
import type { ChatMessage, LogEntry } from "../chat/events.ts";
import { type RedisClient, runScript } from "./client.ts";
import { parseEntry, toArray, toHead } from "./_entries.ts";
import { keys, POSITION_SCRIPT, type RoomKeys } from "./_history_scripts.ts";
import {
  amendEntry,
  appendEntries,
  type Bus,
  type WriteSettings,
} from "./_writes.ts";

export type { Bus } from "./_writes.ts";

/** Options for {@linkcode RedisHistory}. */
export interface RedisHistoryOptions extends HistoryStoreOptions {
  /**
   * The bus every instance listens on: each stored entry is published there
   * by the script that stores it, in one round trip and with no gap between
   * storing and telling (the broker then delivers entries only locally:
   * `RedisBrokerOptions.entriesPublished`).
   *
   * @default {undefined (entries are not published here)}
   */
  bus?: Bus;
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
  #writes: WriteSettings;
  #maxAgeMs: number;
  #now: () => number;
  #metrics: BusMetrics;

  /** Uses `client`, which the caller owns and closes. */
  constructor(client: RedisClient, options: RedisHistoryOptions = {}) {
    this.#client = client;
    const settings = historySettings(options);
    this.#maxAgeMs = settings.maxAgeMs;
    this.#now = settings.now;
    this.#writes = { ...settings, bus: options.bus };
    this.#metrics = options.metrics ?? new BusMetrics();
  }

  /** Stores `drafts` in one atomic script; see {@linkcode History.append}. */
  append(room: string, drafts: readonly Draft[]): Promise<Stored[]> {
    return appendEntries(this.#client, room, drafts, this.#writes);
  }

  /** Stores an edit or a deletion in one script; see {@linkcode History.amend}. */
  amend(room: string, amendment: Amendment): Promise<Amended> {
    return amendEntry(this.#client, room, amendment, this.#writes);
  }

  /** The current state of message `id`; see {@linkcode History.message}. */
  async message(room: string, id: number): Promise<ChatMessage | undefined> {
    const found = await this.#client.zRange(keys(room).log, id, id, {
      BY: "SCORE",
    });
    const [message] = this.#entries(room, found);
    return message?.type === "message" && message.ts >= this.#oldestKeptTs()
      ? message
      : undefined;
  }

  /** The latest `limit` messages of `room`, oldest first. */
  async latest(
    room: string,
    limit: number,
  ): Promise<HistoryPage<ChatMessage>> {
    const [epoch, entries] = await this.#read(
      room,
      (multi, { log }) =>
        multi.zRange(log, "+inf", "-inf", {
          BY: "SCORE",
          REV: true,
          LIMIT: { offset: 0, count: limit + 1 },
        }),
    );
    return this.#messagePage(room, toArray(entries), limit, epoch);
  }

  /** Up to `limit` messages of `room` below id `before`, oldest first. */
  async before(
    room: string,
    before: number,
    limit: number,
  ): Promise<HistoryPage<ChatMessage>> {
    const [epoch, entries] = await this.#read(
      room,
      (multi, { log }) =>
        multi.zRange(log, `(${before}`, "-inf", {
          BY: "SCORE",
          REV: true,
          LIMIT: { offset: 0, count: limit + 1 },
        }),
    );
    return this.#messagePage(room, toArray(entries), limit, epoch);
  }

  /** The latest `limit` entries above `since`; see {@linkcode History.resume}. */
  async resume(
    room: string,
    since: number,
    limit: number,
    before = Number.MAX_SAFE_INTEGER,
  ): Promise<HistoryPage> {
    // One transaction, so that the page, the oldest entry and the head agree.
    const newestFirst = {
      BY: "SCORE",
      REV: true,
      LIMIT: { offset: 0, count: limit + 1 },
    } as const;
    const oldestFirst = {
      BY: "SCORE",
      LIMIT: { offset: 0, count: 1 },
    } as const;
    const [epoch, messages, amendments, oldestMessage, oldestAmendment, last] =
      await this.#read(
        room,
        (multi, { log, amendments, head }) =>
          multi.zRange(log, `(${before}`, `(${since}`, newestFirst)
            .zRange(amendments, `(${before}`, `(${since}`, newestFirst)
            .zRange(log, `(${since}`, "+inf", oldestFirst)
            .zRange(amendments, `(${since}`, "+inf", oldestFirst)
            .get(head),
      );
    const page = pageOf(
      mergeById(
        this.#entries(room, messages),
        this.#entries(room, amendments),
        true,
      ),
      limit,
      this.#oldestKeptTs(),
      epoch,
    );
    const [oldest] = mergeById(
      this.#entries(room, oldestMessage),
      this.#entries(room, oldestAmendment),
    );
    const truncated = (oldest !== undefined &&
      oldest.ts < this.#oldestKeptTs()) ||
      missesMessages(since, oldest, toHead(last));
    return { ...page, truncated };
  }

  /** Up to `limit` entries above `since`, oldest first; see {@linkcode History.after}. */
  async after(room: string, since: number, limit: number): Promise<LogPage> {
    const range = {
      BY: "SCORE",
      LIMIT: { offset: 0, count: limit },
    } as const;
    const [epoch, messages, amendments, last] = await this.#read(
      room,
      (multi, { log, amendments, head }) =>
        multi.zRangeWithScores(log, `(${since}`, "+inf", range)
          .zRangeWithScores(amendments, `(${since}`, "+inf", range)
          .get(head),
    );
    // Ids the read passed, valid or not: the first `limit` of both kinds.
    const passed = [...toArray(messages), ...toArray(amendments)]
      .map((entry) => entry as { value: unknown; score: unknown })
      .map(({ value, score }) => ({ id: Number(score), value }))
      .sort((a, b) => a.id - b.id).slice(0, limit);
    const oldestKept = this.#oldestKeptTs();
    const entries = this.#entries(room, passed.map((entry) => entry.value))
      .filter((entry) => entry.ts >= oldestKept);
    const through = passed.at(-1)?.id ?? since;
    return { entries, through, head: toHead(last), epoch };
  }

  /** Where the room's log stands; see {@linkcode History.position}. */
  async position(room: string, seen?: RoomPosition): Promise<RoomPosition> {
    const { head, epoch } = keys(room);
    const reply = await runScript(this.#client, POSITION_SCRIPT, {
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

  #messagePage(
    room: string,
    newestFirst: unknown[],
    limit: number,
    epoch: string,
  ): HistoryPage<ChatMessage> {
    const messages = this.#entries(room, newestFirst).filter((entry) =>
      entry.type === "message"
    );
    return pageOf(messages, limit, this.#oldestKeptTs(), epoch);
  }

  /** Decodes log entries, skipping (and counting) those that are not valid. */
  #entries(room: string, reply: unknown): LogEntry[] {
    const entries: LogEntry[] = [];
    for (const entry of toArray(reply)) {
      const parsed = parseEntry(room, String(entry));
      if (typeof parsed === "string") this.#metrics.drop(parsed, { room });
      else entries.push(parsed);
    }
    return entries;
  }

  #oldestKeptTs(): number {
    return this.#maxAgeMs > 0 ? this.#now() - this.#maxAgeMs : -Infinity;
  }
}
