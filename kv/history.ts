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
import type { ChatMessage } from "../chat/events.ts";
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
import { prepareAmendment } from "./_amend.ts";
import { findAmendment, findNonces } from "./_nonces.ts";
import { prepareAppend, uncheckedDrafts } from "./_append.ts";
import { lostRace, MAX_COMMIT_ATTEMPTS, RoomHeads } from "./_heads.ts";
import { HistoryPages } from "./_pages.ts";
import type { Retention } from "./_records.ts";
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
  #heads = new RoomHeads();
  #pages: HistoryPages;
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
    this.#pages = new HistoryPages(this.#kv, this.#heads, {
      maxAgeMs,
      now,
      metrics: options.metrics ?? new BusMetrics(),
    });
  }

  /** Stores `drafts` in one atomic commit; see {@linkcode History.append}. */
  async append(room: string, drafts: readonly Draft[]): Promise<Stored[]> {
    const kv = await this.#kv;
    const read = this.#pages.reader(room);
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
      this.#pages.reader(room),
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
  message(room: string, id: number): Promise<ChatMessage | undefined> {
    return this.#pages.message(room, id);
  }

  /** The latest `limit` messages of `room`, oldest first. */
  latest(room: string, limit: number): Promise<HistoryPage<ChatMessage>> {
    return this.#pages.latest(room, limit);
  }

  /** Up to `limit` messages of `room` below id `before`, oldest first. */
  before(
    room: string,
    before: number,
    limit: number,
  ): Promise<HistoryPage<ChatMessage>> {
    return this.#pages.before(room, before, limit);
  }

  /** The latest `limit` entries above `since`; see {@linkcode History.resume}. */
  resume(
    room: string,
    since: number,
    limit: number,
    before = Number.MAX_SAFE_INTEGER,
  ): Promise<HistoryPage> {
    return this.#pages.resume(room, since, limit, before);
  }

  /** Up to `limit` entries above `since`, oldest first; see {@linkcode History.after}. */
  after(room: string, since: number, limit: number): Promise<LogPage> {
    return this.#pages.after(room, since, limit);
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
}
