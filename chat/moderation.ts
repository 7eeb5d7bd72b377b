/**
 * Moderation's stored state: bans (from a room, or server-wide; lasting or
 * until a time) and the record of every moderation action, who did what and
 * when. `kv/moderation.ts` and `redis/moderation.ts` keep them where every
 * instance reads them; {@linkcode MemoryModeration} keeps them in this
 * process.
 *
 * @module
 */

/** Who took a moderation action: a user, or the host application's backend. */
export interface Actor {
  /** The user id, or the name the API call gave. */
  id: string;
  /** The display name. */
  name: string;
}

/** A user kept out of a room, or out of every room. */
export interface Ban {
  /** The banned user. */
  userId: string;
  /** The room; `null` for a server-wide ban. */
  room: string | null;
  /** When it ends, in milliseconds since the Unix epoch; `null` when it lasts. */
  until: number | null;
  /** Why, as the moderator put it. */
  reason?: string;
  /** Who banned. */
  by: Actor;
  /** When, in milliseconds since the Unix epoch. */
  at: number;
}

/** The kinds of moderation action the record holds. */
export const ACTIONS = [
  "ban",
  "unban",
  "kick",
  "disconnect",
  "edit",
  "delete",
] as const;

/** One of {@linkcode ACTIONS}. */
export type ActionKind = typeof ACTIONS[number];

/** A moderation action as the record holds it. */
export interface ModerationRecord {
  /** The store's id for it; later actions sort after. */
  id: string;
  /** When, in milliseconds since the Unix epoch. */
  at: number;
  action: ActionKind;
  /** Who did it. */
  by: Actor;
  /** Whom it concerns: the user banned, kicked or disconnected, or a message's author. */
  userId: string;
  /** The room; absent for what is server-wide. */
  room?: string;
  /** The message edited or deleted. */
  messageId?: number;
  /** For a ban: when it ends, `null` when it lasts. */
  until?: number | null;
  /** Why, as the moderator put it. */
  reason?: string;
}

/** A moderation action before the store records it. */
export type ActionDraft = Omit<ModerationRecord, "id" | "at">;

/** What {@linkcode ModerationStore.records} returns. */
export interface RecordPage {
  /** Newest first. */
  records: ModerationRecord[];
  /** Pass as `before` for the next page; absent at the end. */
  next?: string;
}

/** Which records to read. */
export interface RecordQuery {
  /** Records before this id (a page's `next`); from the newest when absent. */
  before?: string;
  /** Most records in the page. */
  limit: number;
  /** Only records of this room. */
  room?: string;
  /** Only records concerning this user. */
  userId?: string;
}

/** Where bans and the moderation record are kept. */
export interface ModerationStore extends AsyncDisposable {
  /**
   * Bans a user from a room or server-wide, replacing a ban of the same
   * scope, and records it, in one write.
   *
   * @returns The ban as stored (with its time) and its record.
   */
  ban(ban: Omit<Ban, "at">): Promise<{ ban: Ban; record: ModerationRecord }>;
  /**
   * Lifts a user's ban of one scope and records it, in one write.
   *
   * @returns The record, or `undefined` when there was no ban to lift.
   */
  unban(
    userId: string,
    room: string | null,
    by: Actor,
  ): Promise<ModerationRecord | undefined>;
  /** The ban that keeps `userId` out of `room` now: the room's, or a server-wide one. */
  banOf(userId: string, room: string): Promise<Ban | undefined>;
  /** The bans in force in a room (or, for `null`, server-wide), at most `limit`. */
  bans(room: string | null, limit: number): Promise<Ban[]>;
  /** Records an action that changes nothing stored here (a kick, a deletion…). */
  record(action: ActionDraft): Promise<ModerationRecord>;
  /** Reads the record, newest first. */
  records(query: RecordQuery): Promise<RecordPage>;
  /** Releases the store; idempotent. */
  close(): Promise<void>;
}

/**
 * Whether `record` is one a query asks for.
 *
 * @param record A stored record.
 * @param query Its room and user filters.
 * @returns Whether it passes both.
 */
export function matches(
  record: ModerationRecord,
  query: Pick<RecordQuery, "room" | "userId">,
): boolean {
  return (query.room === undefined || record.room === query.room) &&
    (query.userId === undefined || record.userId === query.userId);
}

/**
 * Whether `ban` is in force at `now`.
 *
 * @param ban A stored ban.
 * @param now Milliseconds since the Unix epoch.
 * @returns Whether it has no end or ends later.
 */
export function inForce(ban: Ban, now: number): boolean {
  return ban.until === null || ban.until > now;
}

/**
 * The record of a ban.
 *
 * @param ban The ban, as stored.
 * @returns What the record holds of it, before it has an id.
 */
export function banRecord(ban: Ban): Omit<ModerationRecord, "id"> {
  const record: Omit<ModerationRecord, "id"> = {
    at: ban.at,
    action: "ban",
    by: ban.by,
    userId: ban.userId,
    until: ban.until,
  };
  if (ban.room !== null) record.room = ban.room;
  if (ban.reason !== undefined) record.reason = ban.reason;
  return record;
}

/**
 * The record of an unban.
 *
 * @param userId The user whose ban is lifted.
 * @param room Its room; `null` for a server-wide ban.
 * @param by Who lifts it.
 * @param at When.
 * @returns What the record holds of it, before it has an id.
 */
export function unbanRecord(
  userId: string,
  room: string | null,
  by: Actor,
  at: number,
): Omit<ModerationRecord, "id"> {
  const record: Omit<ModerationRecord, "id"> = {
    at,
    action: "unban",
    by,
    userId,
  };
  if (room !== null) record.room = room;
  return record;
}

/** Most records one read of the record looks at, matching or not, so a filter that matches little never reads the whole record at once. */
export const MAX_RECORDS_SCANNED = 10_000;

/**
 * A page of the record from the stored records, newest first: the first
 * `limit` that match, and where the next page starts when more may follow
 * (after a full page, or after {@linkcode MAX_RECORDS_SCANNED} records).
 *
 * @param newestFirst Stored records older than the query's `before`, newest first.
 * @param query The limit and filters.
 * @returns The page.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pageRecords } from "./moderation.ts";
 *
 * const by = { id: "mod", name: "Mo" };
 * const record = (id: string, room: string) => ({ id, at: 0, action: "kick" as const, by, userId: "bo", room });
 * const page = await pageRecords([record("3", "a"), record("2", "b"), record("1", "a")], { limit: 1, room: "a" });
 * assert.deepEqual([page.records.map((r) => r.id), page.next], [["3"], "3"]);
 * ```
 */
export async function pageRecords(
  newestFirst: AsyncIterable<ModerationRecord> | Iterable<ModerationRecord>,
  query: RecordQuery,
): Promise<RecordPage> {
  const records: ModerationRecord[] = [];
  let scanned = 0;
  for await (const record of newestFirst) {
    if (matches(record, query)) {
      if (records.length === query.limit) {
        return { records, next: records.at(-1)!.id };
      }
      records.push(record);
    }
    if (++scanned >= MAX_RECORDS_SCANNED) return { records, next: record.id };
  }
  return { records };
}

/** Default for the stores' `maxAgeMs`: a year. */
export const DEFAULT_RECORD_MAX_AGE_MS = 365 * 24 * 3600_000;

/** Options for {@linkcode MemoryModeration}. */
export interface MemoryModerationOptions {
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

/**
 * {@linkcode ModerationStore} in this process's memory: one instance, and
 * nothing kept across restarts.
 *
 * @example A ban, then its end
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryModeration } from "./moderation.ts";
 *
 * let now = 0;
 * await using store = new MemoryModeration({ now: () => now });
 * const by = { id: "mod", name: "Mo" };
 * await store.ban({ userId: "bo", room: "general", until: 1000, by });
 * assert.equal((await store.banOf("bo", "general"))?.until, 1000);
 * now = 1000;
 * assert.equal(await store.banOf("bo", "general"), undefined);
 * ```
 */
export class MemoryModeration implements ModerationStore {
  #bans = new Map<string, Ban>();
  #records: ModerationRecord[] = [];
  #now: () => number;
  #maxAgeMs: number;
  #sequence = 0;

  /** An empty store. */
  constructor(options: MemoryModerationOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_RECORD_MAX_AGE_MS;
  }

  /** Stores and records a ban; see {@linkcode ModerationStore.ban}. */
  ban(draft: Omit<Ban, "at">): Promise<{ ban: Ban; record: ModerationRecord }> {
    const ban = { ...draft, at: this.#now() };
    this.#bans.set(JSON.stringify([ban.room, ban.userId]), ban);
    return Promise.resolve({ ban, record: this.#append(banRecord(ban)) });
  }

  /** Lifts and records a ban; see {@linkcode ModerationStore.unban}. */
  unban(
    userId: string,
    room: string | null,
    by: Actor,
  ): Promise<ModerationRecord | undefined> {
    const key = JSON.stringify([room, userId]);
    const ban = this.#bans.get(key);
    this.#bans.delete(key);
    if (ban === undefined || !inForce(ban, this.#now())) {
      return Promise.resolve(undefined);
    }
    return Promise.resolve(
      this.#append(unbanRecord(userId, room, by, this.#now())),
    );
  }

  /** The ban in force; see {@linkcode ModerationStore.banOf}. */
  banOf(userId: string, room: string): Promise<Ban | undefined> {
    const now = this.#now();
    const ban = [room, null].map((scope) =>
      this.#bans.get(JSON.stringify([scope, userId]))
    ).find((ban) => ban !== undefined && inForce(ban, now));
    return Promise.resolve(ban);
  }

  /** The bans in force of a scope; see {@linkcode ModerationStore.bans}. */
  bans(room: string | null, limit: number): Promise<Ban[]> {
    const now = this.#now();
    const bans = [...this.#bans.values()]
      .filter((ban) => ban.room === room && inForce(ban, now))
      .slice(0, limit);
    return Promise.resolve(bans);
  }

  /** Records an action; see {@linkcode ModerationStore.record}. */
  record(action: ActionDraft): Promise<ModerationRecord> {
    return Promise.resolve(this.#append({ ...action, at: this.#now() }));
  }

  /** Reads the record; see {@linkcode ModerationStore.records}. */
  records(query: RecordQuery): Promise<RecordPage> {
    const older = query.before === undefined
      ? this.#records
      : this.#records.filter((record) => record.id < query.before!);
    return pageRecords(older.toReversed(), query);
  }

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Same as {@linkcode MemoryModeration.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #append(record: Omit<ModerationRecord, "id">): ModerationRecord {
    const stored = {
      id: String(++this.#sequence).padStart(16, "0"),
      ...record,
    };
    this.#records.push(stored);
    const oldest = this.#maxAgeMs > 0 ? record.at - this.#maxAgeMs : -Infinity;
    while (this.#records[0]!.at < oldest) this.#records.shift();
    return stored;
  }
}
