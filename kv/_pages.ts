/**
 * What `history.ts` reads of a room's log in Deno KV: one message, pages of
 * messages, a resume and a catch-up run, each at the room's epoch. Every
 * stored entry is checked as it is read: one that is not valid is counted
 * and skipped, one older than the age limit is left out.
 *
 * @module
 */
import type { BusMetrics } from "../chat/bus_metrics.ts";
import type { ChatMessage, LogEntry } from "../chat/events.ts";
import type { HistoryPage, LogPage } from "../chat/history.ts";
import { missesMessages, pageOf } from "../chat/pages.ts";
import type { RoomHeads } from "./_heads.ts";
import type { ReadEntry } from "./_nonces.ts";
import {
  entriesAfter,
  listEntries,
  newestEntries,
  oldestEntry,
} from "./_reads.ts";
import { toEntry } from "./_records.ts";

/** What {@linkcode HistoryPages} reads with besides the database. */
export interface HistoryPagesOptions {
  /** Milliseconds an entry is kept; 0 for no age limit. */
  maxAgeMs: number;
  /** Clock in milliseconds since the Unix epoch. */
  now: () => number;
  /** Where stored entries that are not valid are counted. */
  metrics: BusMetrics;
}

/** The reads of each room's log that `KvHistory` serves. */
export class HistoryPages {
  #kv: Promise<Deno.Kv>;
  #heads: RoomHeads;
  #maxAgeMs: number;
  #now: () => number;
  #metrics: BusMetrics;

  /** Reads `kv`, telling `heads` when a room's epoch changed. */
  constructor(
    kv: Promise<Deno.Kv>,
    heads: RoomHeads,
    options: HistoryPagesOptions,
  ) {
    this.#kv = kv;
    this.#heads = heads;
    this.#maxAgeMs = options.maxAgeMs;
    this.#now = options.now;
    this.#metrics = options.metrics;
  }

  /** The current state of message `id`; see `History.message`. */
  async message(room: string, id: number): Promise<ChatMessage | undefined> {
    const kv = await this.#kv;
    const entry = await kv.get(["msg", room, id]);
    if (entry.value === null) return undefined;
    const message = this.#read(room, entry);
    return message?.type === "message" && message.ts >= this.#oldestKeptTs()
      ? message
      : undefined;
  }

  /** The latest `limit` messages of `room`, oldest first. */
  latest(room: string, limit: number): Promise<HistoryPage<ChatMessage>> {
    return this.before(room, Number.MAX_SAFE_INTEGER, limit);
  }

  /** Up to `limit` messages of `room` below id `before`, oldest first. */
  async before(
    room: string,
    before: number,
    limit: number,
  ): Promise<HistoryPage<ChatMessage>> {
    const kv = await this.#kv;
    const { epoch } = await this.#heads.read(kv, room);
    return this.#messagePage(
      room,
      kv.list({ prefix: ["msg", room], end: ["msg", room, before] }, {
        reverse: true,
        limit: limit + 1,
      }),
      limit,
      epoch,
    );
  }

  /** The latest `limit` entries above `since`; see `History.resume`. */
  async resume(
    room: string,
    since: number,
    limit: number,
    before: number,
  ): Promise<HistoryPage> {
    const kv = await this.#kv;
    const { epoch } = await this.#heads.read(kv, room);
    const read = this.reader(room);
    const [newest, oldest] = await Promise.all([
      newestEntries(kv, room, { since, before, count: limit + 1 }, read),
      oldestEntry(kv, room, since, read),
    ]);
    const page = pageOf(newest, limit, this.#oldestKeptTs(), epoch);
    const { lastId } = await this.#heads.read(kv, room);
    const truncated = (oldest !== undefined &&
      oldest.ts < this.#oldestKeptTs()) ||
      missesMessages(since, oldest, lastId);
    return { ...page, truncated };
  }

  /** Up to `limit` entries above `since`, oldest first; see `History.after`. */
  async after(room: string, since: number, limit: number): Promise<LogPage> {
    const kv = await this.#kv;
    const { epoch } = await this.#heads.read(kv, room);
    const { entries, through } = await entriesAfter(kv, room, {
      since,
      limit,
      oldestKeptTs: this.#oldestKeptTs(),
    }, this.reader(room));
    // Read after the page, so that every id in it is at most the head; a
    // new epoch meanwhile makes the page worthless: the caller reads again.
    const now = await this.#heads.read(kv, room);
    if (now.epoch !== epoch) {
      return { entries: [], through: 0, head: now.lastId, epoch: now.epoch };
    }
    return { entries, through, head: now.lastId, epoch };
  }

  /**
   * Reads `room`'s stored entries as one of its reads does: checked, a bad
   * one counted and skipped.
   *
   * @param room The room.
   * @returns The reader.
   */
  reader(room: string): ReadEntry {
    return (entry) => this.#read(room, entry);
  }

  /** Newest-first message records as a page: up to `limit` valid, unexpired messages, oldest first. */
  async #messagePage(
    room: string,
    newestFirst: Deno.KvListIterator<unknown>,
    limit: number,
    epoch: string,
  ): Promise<HistoryPage<ChatMessage>> {
    const messages = (await listEntries(newestFirst, this.reader(room)))
      .filter((entry) => entry.type === "message");
    return pageOf(messages, limit, this.#oldestKeptTs(), epoch);
  }

  /** One stored entry as a log entry; one that is not valid is counted and skipped. */
  #read(
    room: string,
    entry: { key: Deno.KvKey; value: unknown },
  ): LogEntry | undefined {
    const read = toEntry(room, entry);
    if (typeof read !== "string") return read;
    this.#metrics.drop(read, { room, key: String(entry.key[2]) });
    return undefined;
  }

  #oldestKeptTs(): number {
    return this.#maxAgeMs > 0 ? this.#now() - this.#maxAgeMs : -Infinity;
  }
}
