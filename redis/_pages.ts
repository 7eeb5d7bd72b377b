/**
 * What `history.ts` reads of a room's log in Redis: one message, pages of
 * messages, a resume and a catch-up run, each in one transaction that starts
 * the room's epoch when it has none. Every stored entry is checked as it is
 * read: one that is not valid is counted and skipped, one older than the age
 * limit is left out.
 *
 * @module
 */
import type { BusMetrics } from "../chat/bus_metrics.ts";
import type { ChatMessage, LogEntry } from "../chat/events.ts";
import { type HistoryPage, type LogPage, newEpoch } from "../chat/history.ts";
import { mergeById, missesMessages, pageOf } from "../chat/pages.ts";
import type { RedisClient } from "./client.ts";
import { parseEntry, toArray, toHead } from "./_entries.ts";
import { keys, type RoomKeys } from "./_history_scripts.ts";

/** What {@linkcode HistoryPages} reads with besides the client. */
export interface HistoryPagesOptions {
  /** Milliseconds an entry is kept; 0 for no age limit. */
  maxAgeMs: number;
  /** Clock in milliseconds since the Unix epoch. */
  now: () => number;
  /** Where stored entries that are not valid are counted. */
  metrics: BusMetrics;
}

/** A transaction being built on the client. */
type Multi = ReturnType<RedisClient["multi"]>;

/** The reads of each room's log that `RedisHistory` serves. */
export class HistoryPages {
  #client: RedisClient;
  #maxAgeMs: number;
  #now: () => number;
  #metrics: BusMetrics;

  /** Reads through `client`, which the caller owns. */
  constructor(client: RedisClient, options: HistoryPagesOptions) {
    this.#client = client;
    this.#maxAgeMs = options.maxAgeMs;
    this.#now = options.now;
    this.#metrics = options.metrics;
  }

  /** The current state of message `id`; see `History.message`. */
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
  latest(room: string, limit: number): Promise<HistoryPage<ChatMessage>> {
    return this.before(room, Infinity, limit);
  }

  /** Up to `limit` messages of `room` below id `before`, oldest first. */
  async before(
    room: string,
    before: number,
    limit: number,
  ): Promise<HistoryPage<ChatMessage>> {
    const below = before === Infinity ? "+inf" : `(${before}`;
    const [epoch, entries] = await this.#read(
      room,
      (multi, { log }) =>
        multi.zRange(log, below, "-inf", {
          BY: "SCORE",
          REV: true,
          LIMIT: { offset: 0, count: limit + 1 },
        }),
    );
    return this.#messagePage(room, toArray(entries), limit, epoch);
  }

  /** The latest `limit` entries above `since`; see `History.resume`. */
  async resume(
    room: string,
    since: number,
    limit: number,
    before: number,
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

  /** Up to `limit` entries above `since`, oldest first; see `History.after`. */
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

  /** Newest-first entries as a page: up to `limit` valid, unexpired messages, oldest first. */
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
