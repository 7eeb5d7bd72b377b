/**
 * Message history in Deno KV: a local file by default, the platform's KV on
 * Deno Deploy, `:memory:` in tests.
 *
 * Keys: `["msg", room, id]` holds a message's current record, `["amend",
 * room, id]` an edit or a deletion of one (`_records.ts`), `["head", room]`
 * the room's last id, `["epoch", room]` the epoch its ids belong to (started
 * by the first read or write of the room), `["nonce", room, userId, nonce]`
 * the id a nonce produced (expiring after the de-duplication window). Every
 * append or amendment is one atomic commit that checks the head it numbered
 * from and the epoch, so two writers can never hand out the same id.
 *
 * @module
 */
import type { Amended, Amendment } from "../chat/amendments.ts";
import { BusMetrics } from "../chat/bus_metrics.ts";
import type { ChatMessage, LogEntry } from "../chat/events.ts";
import {
  type Draft,
  type History,
  type HistoryPage,
  historySettings,
  type HistoryStoreOptions,
  type LogPage,
  type RoomPosition,
  type Stored,
} from "../chat/history.ts";
import { missesMessages, pageOf } from "../chat/pages.ts";
import { prepareAmendment } from "./_amend.ts";
import { findAmendment, findNonces, type ReadEntry } from "./_nonces.ts";
import { prepareAppend, uncheckedDrafts } from "./_append.ts";
import { lostRace, MAX_COMMIT_ATTEMPTS, RoomHeads } from "./_heads.ts";
import {
  entriesAfter,
  listEntries,
  newestEntries,
  oldestEntry,
} from "./_reads.ts";
import { type Retention, toEntry } from "./_records.ts";
import { commitOrBusy } from "./database.ts";

/** Options for {@linkcode KvHistory}. */
export type KvHistoryOptions = HistoryStoreOptions;

/**
 * {@linkcode History} over a Deno KV database.
 *
 * @example Append and read back
 * ```ts
 * import assert from "node:assert/strict";
 * import { KvHistory } from "./history.ts";
 *
 * await using history = new KvHistory(await Deno.openKv(":memory:"));
 * const [stored] = await history.append("general", [{ userId: "ada", user: "ada", text: "hi" }]);
 * assert.equal(stored?.message.id, 1);
 * const page = await history.latest("general", 10);
 * assert.deepEqual(page.messages.map((m) => m.text), ["hi"]);
 * ```
 */
export class KvHistory implements History {
  #kv: Promise<Deno.Kv>;
  #retention: Retention;
  #nonceTtlMs: number;
  #maxEdits: number;
  #now: () => number;
  #metrics: BusMetrics;
  #heads = new RoomHeads();
  #closed = false;

  /** Wraps a KV database (or one being opened); {@linkcode KvHistory.close} closes it. */
  constructor(kv: Deno.Kv | Promise<Deno.Kv>, options: KvHistoryOptions = {}) {
    this.#kv = Promise.resolve(kv);
    const { maxMessages, maxAgeMs, nonceTtlMs, maxEdits, now } =
      historySettings(options);
    this.#retention = { maxMessages, maxAgeMs };
    this.#nonceTtlMs = nonceTtlMs;
    this.#maxEdits = maxEdits;
    this.#now = now;
    this.#metrics = options.metrics ?? new BusMetrics();
  }

  /** Stores `drafts` in one atomic commit; see {@linkcode History.append}. */
  async append(room: string, drafts: readonly Draft[]): Promise<Stored[]> {
    const kv = await this.#kv;
    const read = this.#reader(room);
    let known = await findNonces(kv, room, uncheckedDrafts(drafts), read);
    for (let attempt = 1;; attempt++) {
      const head = await this.#heads.get(kv, room);
      const { atomic, results, lastId } = prepareAppend(
        kv,
        room,
        head,
        drafts,
        known,
        { ...this.#retention, now: this.#now(), nonceTtlMs: this.#nonceTtlMs },
      );
      if (lastId === head.lastId) return results;
      const commit = await commitOrBusy(atomic);
      if (commit.ok) {
        this.#heads.stored(room, head, lastId, commit.versionstamp);
        return results;
      }
      // Refused: a nonce of the batch is stored already, or another writer
      // moved the head. A repeated request is answered at once.
      this.#heads.forget(room);
      const found = await findNonces(kv, room, drafts, read);
      if (found.size > known.size && attempt < MAX_COMMIT_ATTEMPTS) {
        known = found;
        continue;
      }
      await lostRace(room, attempt);
    }
  }

  /** Stores an edit or a deletion; see {@linkcode History.amend}. */
  async amend(room: string, amendment: Amendment): Promise<Amended> {
    const kv = await this.#kv;
    const earlier = await findAmendment(
      kv,
      room,
      amendment,
      this.#reader(room),
    );
    if (earlier !== undefined) {
      const { epoch } = await this.#heads.get(kv, room);
      return { entry: earlier, duplicate: true, epoch };
    }
    for (let attempt = 1;; attempt++) {
      const head = await this.#heads.get(kv, room);
      const { atomic, entry } = await prepareAmendment(
        kv,
        room,
        head,
        amendment,
        {
          ...this.#retention,
          now: this.#now(),
          nonceTtlMs: this.#nonceTtlMs,
          maxEdits: this.#maxEdits,
        },
      );
      if (await this.#heads.commit(room, head, entry.id, atomic, attempt)) {
        return { entry, duplicate: false, epoch: head.epoch };
      }
    }
  }

  /** The current state of message `id`; see {@linkcode History.message}. */
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
  async latest(
    room: string,
    limit: number,
  ): Promise<HistoryPage<ChatMessage>> {
    const kv = await this.#kv;
    const { epoch } = await this.#heads.read(kv, room);
    return this.#messagePage(
      room,
      kv.list({ prefix: ["msg", room] }, { reverse: true, limit: limit + 1 }),
      limit,
      epoch,
    );
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

  /** The latest `limit` entries above `since`; see {@linkcode History.resume}. */
  async resume(
    room: string,
    since: number,
    limit: number,
    before = Number.MAX_SAFE_INTEGER,
  ): Promise<HistoryPage> {
    const kv = await this.#kv;
    const { epoch } = await this.#heads.read(kv, room);
    const read = this.#reader(room);
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

  /** Up to `limit` entries above `since`, oldest first; see {@linkcode History.after}. */
  async after(room: string, since: number, limit: number): Promise<LogPage> {
    const kv = await this.#kv;
    const { epoch } = await this.#heads.read(kv, room);
    const { entries, through } = await entriesAfter(kv, room, {
      since,
      limit,
      oldestKeptTs: this.#oldestKeptTs(),
    }, this.#reader(room));
    // Read after the page, so that every id in it is at most the head; a
    // new epoch meanwhile makes the page worthless: the caller reads again.
    const now = await this.#heads.read(kv, room);
    if (now.epoch !== epoch) {
      return { entries: [], through: 0, head: now.lastId, epoch: now.epoch };
    }
    return { entries, through, head: now.lastId, epoch };
  }

  /** Where the room's log stands; see {@linkcode History.position}. */
  async position(room: string, seen?: RoomPosition): Promise<RoomPosition> {
    const { epoch, lastId } = await this.#heads.read(
      await this.#kv,
      room,
      seen,
    );
    return { epoch, head: lastId };
  }

  /** Closes the KV database; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    (await this.#kv).close();
  }

  /** Same as {@linkcode KvHistory.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Newest-first message records as a page: up to `limit` valid, unexpired messages, oldest first. */
  async #messagePage(
    room: string,
    newestFirst: Deno.KvListIterator<unknown>,
    limit: number,
    epoch: string,
  ): Promise<HistoryPage<ChatMessage>> {
    const messages = (await listEntries(newestFirst, this.#reader(room)))
      .filter((entry) => entry.type === "message");
    return pageOf(messages, limit, this.#oldestKeptTs(), epoch);
  }

  /** Reads `room`'s stored entries as {@linkcode KvHistory.#read} does. */
  #reader(room: string): ReadEntry {
    return (entry) => this.#read(room, entry);
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
    const { maxAgeMs } = this.#retention;
    return maxAgeMs > 0 ? this.#now() - maxAgeMs : -Infinity;
  }
}
