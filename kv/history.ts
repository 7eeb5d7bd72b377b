/**
 * Message history in Deno KV: a local file by default, the platform's KV on
 * Deno Deploy, `:memory:` in tests.
 *
 * Keys: `["msg", room, id]` holds a message, `["head", room]` the room's last
 * id, `["epoch", room]` the epoch its ids belong to (started by the first
 * read or write of the room), `["nonce", room, userId, nonce]` the id a nonce
 * produced (expiring after the de-duplication window). Every append is one
 * atomic commit that checks the head it numbered from and the epoch, so two
 * writers can never hand out the same id.
 *
 * @module
 */
import { BusMetrics, type DropReason } from "../chat/bus_metrics.ts";
import type { ChatMessage } from "../chat/events.ts";
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
import { parseMessage } from "../chat/parse_event.ts";
import { commitOrBusy, randomPause } from "./database.ts";

/** Options for {@linkcode KvHistory}. */
export interface KvHistoryOptions {
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
   * Where stored entries that are not valid messages are counted; they are
   * skipped, never sent.
   *
   * @default {new BusMetrics()}
   */
  metrics?: BusMetrics;
}

/** Attempts at an append whose head changed under it (another writer) before giving up. */
const MAX_COMMIT_ATTEMPTS = 50;
/** Cap, in milliseconds, of the pause between attempts, which grows with each lost race. */
const MAX_RETRY_PAUSE_MS = 200;
/** Longest random pause, in milliseconds, before retrying a commit that lost a race. */
const RETRY_PAUSE_MS = 20;
/** `getMany` reads at most this many keys at once. */
const GET_MANY_LIMIT = 10;

interface StoredValue {
  ts: number;
  user: string;
  userId?: string;
  guest?: true;
  text: string;
}

/** Where a room's log stood when read, with what an append must check. */
interface Head {
  lastId: number;
  versionstamp: string | null;
  epoch: string;
  epochVersionstamp: string;
}

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
  #maxMessages: number;
  #maxAgeMs: number;
  #nonceTtlMs: number;
  #now: () => number;
  #metrics: BusMetrics;
  #heads = new Map<string, Head>();
  #closed = false;

  /** Wraps a KV database (or one being opened); {@linkcode KvHistory.close} closes it. */
  constructor(kv: Deno.Kv | Promise<Deno.Kv>, options: KvHistoryOptions = {}) {
    this.#kv = Promise.resolve(kv);
    this.#maxMessages = options.maxMessages ?? 10_000;
    this.#maxAgeMs = options.maxAgeMs ?? 30 * 24 * 3600_000;
    this.#nonceTtlMs = options.nonceTtlMs ?? 600_000;
    this.#now = options.now ?? Date.now;
    this.#metrics = options.metrics ?? new BusMetrics();
  }

  /** Stores `drafts` in one atomic commit; see {@linkcode History.append}. */
  async append(room: string, drafts: readonly Draft[]): Promise<Stored[]> {
    const kv = await this.#kv;
    const earlier = await this.#findNonces(kv, room, drafts);
    for (let attempt = 1;; attempt++) {
      const head = await this.#head(kv, room);
      const results: Stored[] = [];
      const seenInBatch = new Map<string, ChatMessage>();
      const atomic = kv.atomic().check(
        { key: ["head", room], versionstamp: head.versionstamp },
        { key: ["epoch", room], versionstamp: head.epochVersionstamp },
      );
      let lastId = head.lastId;
      const ts = this.#now();
      for (const draft of drafts) {
        const nonceKey = draft.nonce === undefined
          ? undefined
          : JSON.stringify([draft.userId, draft.nonce]);
        const original = nonceKey === undefined
          ? undefined
          : seenInBatch.get(nonceKey) ?? earlier.get(nonceKey);
        if (original !== undefined) {
          results.push({
            // Retention may have deleted the original: its id is all that is left.
            message: typeof original === "number"
              ? messageOf(room, original, 0, { ...draft, text: "" })
              : original,
            duplicate: true,
            epoch: head.epoch,
          });
          continue;
        }
        lastId++;
        const message = messageOf(room, lastId, ts, draft);
        const value: StoredValue = {
          ts,
          user: draft.user,
          userId: draft.userId,
          text: draft.text,
        };
        if (draft.guest) value.guest = true;
        atomic.set(
          ["msg", room, lastId],
          value,
          this.#maxAgeMs > 0 ? { expireIn: this.#maxAgeMs } : undefined,
        );
        if (nonceKey !== undefined) {
          seenInBatch.set(nonceKey, message);
          atomic.set(["nonce", room, draft.userId, draft.nonce!], lastId, {
            expireIn: this.#nonceTtlMs,
          });
        }
        results.push({ message, duplicate: false, epoch: head.epoch });
      }
      if (lastId === head.lastId) return results;
      for (
        let id = Math.max(1, head.lastId - this.#maxMessages + 1);
        id <= lastId - this.#maxMessages;
        id++
      ) {
        atomic.delete(["msg", room, id]);
      }
      atomic.set(["head", room], lastId);
      const commit = await commitOrBusy(atomic);
      if (commit.ok) {
        this.#heads.set(room, {
          ...head,
          lastId,
          versionstamp: commit.versionstamp,
        });
        return results;
      }
      this.#heads.delete(room);
      await randomPause(Math.min(RETRY_PAUSE_MS * attempt, MAX_RETRY_PAUSE_MS));
      if (attempt >= MAX_COMMIT_ATTEMPTS) {
        throw new Error(
          `Cannot store messages: room "${room}" changed under ${attempt} attempts`,
        );
      }
    }
  }

  /** The latest `limit` messages of `room`, oldest first. */
  async latest(room: string, limit: number): Promise<HistoryPage> {
    const kv = await this.#kv;
    const { epoch } = await this.#position(kv, room);
    return this.#page(
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
  ): Promise<HistoryPage> {
    const kv = await this.#kv;
    const { epoch } = await this.#position(kv, room);
    return this.#page(
      room,
      kv.list({ prefix: ["msg", room], end: ["msg", room, before] }, {
        reverse: true,
        limit: limit + 1,
      }),
      limit,
      epoch,
    );
  }

  /** The latest `limit` messages above `since`; see {@linkcode History.resume}. */
  async resume(
    room: string,
    since: number,
    limit: number,
  ): Promise<HistoryPage> {
    const kv = await this.#kv;
    const { epoch } = await this.#position(kv, room);
    const range = { prefix: ["msg", room], start: ["msg", room, since + 1] };
    const page = await this.#page(
      room,
      kv.list(range, { reverse: true, limit: limit + 1 }),
      limit,
      epoch,
    );
    let oldest: ChatMessage | undefined;
    for await (const entry of kv.list(range, { limit: 1 })) {
      oldest = this.#read(room, entry);
    }
    const { lastId } = await this.#position(kv, room);
    const truncated = (oldest !== undefined &&
      oldest.ts < this.#oldestKeptTs()) ||
      missesMessages(since, oldest, lastId);
    return { ...page, truncated };
  }

  /** Up to `limit` messages above `since`, oldest first; see {@linkcode History.after}. */
  async after(room: string, since: number, limit: number): Promise<LogPage> {
    const kv = await this.#kv;
    const { epoch } = await this.#position(kv, room);
    const oldestKept = this.#oldestKeptTs();
    const messages: ChatMessage[] = [];
    let through = since;
    const entries = kv.list({
      prefix: ["msg", room],
      start: ["msg", room, since + 1],
    }, { limit });
    for await (const entry of entries) {
      through = Math.max(through, Number(entry.key[2]));
      const message = this.#read(room, entry);
      if (message !== undefined && message.ts >= oldestKept) {
        messages.push(message);
      }
    }
    // Read after the page, so that every id in it is at most the head; a
    // new epoch meanwhile makes the page worthless: the caller reads again.
    const now = await this.#position(kv, room);
    if (now.epoch !== epoch) {
      return { messages: [], through: 0, head: now.lastId, epoch: now.epoch };
    }
    return { messages, through, head: now.lastId, epoch };
  }

  /** Where the room's log stands; see {@linkcode History.position}. */
  async position(room: string, seen?: RoomPosition): Promise<RoomPosition> {
    const { epoch, lastId } = await this.#position(await this.#kv, room, seen);
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

  async #head(kv: Deno.Kv, room: string): Promise<Head> {
    const cached = this.#heads.get(room);
    if (cached) return cached;
    const head = await this.#position(kv, room);
    this.#heads.set(room, head);
    return head;
  }

  /**
   * Reads the room's head and epoch, starting a new epoch when the room has
   * none, or when its head is below what `seen` saw in the same epoch.
   */
  async #position(
    kv: Deno.Kv,
    room: string,
    seen?: RoomPosition,
  ): Promise<Head> {
    while (true) {
      const [head, epoch] = await kv.getMany<[unknown, unknown]>([
        ["head", room],
        ["epoch", room],
      ]);
      const lastId = typeof head.value === "number" ? head.value : 0;
      const behind = seen !== undefined && seen.epoch === epoch.value &&
        lastId < seen.head;
      if (typeof epoch.value === "string" && epoch.versionstamp && !behind) {
        return {
          lastId,
          versionstamp: head.versionstamp,
          epoch: epoch.value,
          epochVersionstamp: epoch.versionstamp,
        };
      }
      const fresh = newEpoch();
      const commit = await commitOrBusy(
        kv.atomic().check(head, epoch).set(["epoch", room], fresh),
      );
      if (commit.ok) {
        this.#heads.delete(room);
        return {
          lastId,
          versionstamp: head.versionstamp,
          epoch: fresh,
          epochVersionstamp: commit.versionstamp,
        };
      }
    }
  }

  /**
   * Looks up the drafts' nonces; returns the earlier messages by
   * `[userId, nonce]` JSON, or only their ids where retention deleted them.
   */
  async #findNonces(
    kv: Deno.Kv,
    room: string,
    drafts: readonly Draft[],
  ): Promise<Map<string, ChatMessage | number>> {
    const keys = drafts.filter((draft) => draft.nonce !== undefined)
      .map((draft) => ["nonce", room, draft.userId, draft.nonce!]);
    const found = new Map<string, ChatMessage | number>();
    for (let i = 0; i < keys.length; i += GET_MANY_LIMIT) {
      const entries = await kv.getMany<number[]>(
        keys.slice(i, i + GET_MANY_LIMIT),
      );
      for (const entry of entries) {
        if (entry.value === null) continue;
        const stored = await kv.get<StoredValue>(["msg", room, entry.value]);
        const [, , userId, nonce] = entry.key;
        const original = stored.value === null
          ? undefined
          : this.#read(room, { key: stored.key, value: stored.value });
        found.set(JSON.stringify([userId, nonce]), original ?? entry.value);
      }
    }
    return found;
  }

  /** Newest-first entries as a page: up to `limit` valid, unexpired messages, oldest first. */
  async #page(
    room: string,
    newestFirst: Deno.KvListIterator<unknown>,
    limit: number,
    epoch: string,
  ): Promise<HistoryPage> {
    const messages: ChatMessage[] = [];
    for await (const entry of newestFirst) {
      const message = this.#read(room, entry);
      if (message !== undefined) messages.push(message);
    }
    return pageOf(messages, limit, this.#oldestKeptTs(), epoch);
  }

  /** One stored entry as a message; one that is not valid is counted and skipped. */
  #read(
    room: string,
    entry: { key: Deno.KvKey; value: unknown },
  ): ChatMessage | undefined {
    const message = toMessage(room, entry);
    if (typeof message !== "string") return message;
    this.#metrics.drop(message, { room, key: String(entry.key[2]) });
    return undefined;
  }

  #oldestKeptTs(): number {
    return this.#maxAgeMs > 0 ? this.#now() - this.#maxAgeMs : -Infinity;
  }
}

/** Checks a stored entry's fields, since whoever can write the store could have put anything there. */
function toMessage(
  room: string,
  entry: { key: Deno.KvKey; value: unknown },
): ChatMessage | DropReason {
  if (typeof entry.value !== "object" || entry.value === null) return "shape";
  return parseMessage(room, { ...entry.value, id: entry.key[2] });
}
