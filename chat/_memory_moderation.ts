/**
 * {@linkcode MemoryModeration}: bans and the moderation record in this
 * process's memory. `moderation.ts` re-exports it.
 *
 * @module
 */
import type {
  ActionDraft,
  Actor,
  Ban,
  ModerationRecord,
  ModerationStore,
  RecordPage,
  RecordQuery,
} from "./_moderation_store.ts";
import {
  banRecord,
  DEFAULT_RECORD_MAX_AGE_MS,
  inForce,
  pageRecords,
  unbanRecord,
} from "./_moderation_records.ts";

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
