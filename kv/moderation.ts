/**
 * Bans and the moderation record in Deno KV, shared by every isolate and
 * kept across restarts: `["ban", "room", room, userId]` and `["ban",
 * "server", userId]` hold bans (expiring when they end), `["moderation",
 * id]` the record (expiring after its age limit), where an id is the time
 * in milliseconds and this process's count, zero-padded, and a random
 * suffix, so ids sort by time (and in one process, by order).
 * A ban or an unban and its record are one atomic commit.
 *
 * @module
 */
import {
  type ActionDraft,
  type Actor,
  type Ban,
  banRecord,
  DEFAULT_RECORD_MAX_AGE_MS,
  inForce,
  type ModerationRecord,
  type ModerationStore,
  pageRecords,
  type RecordPage,
  type RecordQuery,
  unbanRecord,
} from "../chat/moderation.ts";
import { parseBan, parseRecord } from "../chat/parse_moderation.ts";
import { commitOrBusy } from "./database.ts";

/** Options for {@linkcode KvModeration}. */
export interface KvModerationOptions {
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

/** Attempts at an unban whose ban changed under it before giving up. */
const MAX_ATTEMPTS = 20;

function banKey(userId: string, room: string | null): Deno.KvKey {
  return room === null
    ? ["ban", "server", userId]
    : ["ban", "room", room, userId];
}

/**
 * {@linkcode ModerationStore} over a Deno KV database, which the caller owns.
 *
 * @example A ban holds across handles on one database
 * ```ts
 * import assert from "node:assert/strict";
 * import { KvModeration } from "./moderation.ts";
 *
 * const kv = await Deno.openKv(":memory:");
 * const store = new KvModeration(kv);
 * await store.ban({ userId: "bo", room: null, until: null, by: { id: "m", name: "Mo" } });
 * assert.equal((await new KvModeration(kv).banOf("bo", "general"))?.room, null);
 * kv.close();
 * ```
 */
export class KvModeration implements ModerationStore {
  #kv: Promise<Deno.Kv>;
  #maxAgeMs: number;
  #now: () => number;
  #count = 0;

  /** Uses `kv` (or one being opened), which the caller closes. */
  constructor(
    kv: Deno.Kv | Promise<Deno.Kv>,
    options: KvModerationOptions = {},
  ) {
    this.#kv = Promise.resolve(kv);
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_RECORD_MAX_AGE_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Stores and records a ban in one commit; see {@linkcode ModerationStore.ban}. */
  async ban(
    draft: Omit<Ban, "at">,
  ): Promise<{ ban: Ban; record: ModerationRecord }> {
    const kv = await this.#kv;
    const ban: Ban = { ...draft, at: this.#now() };
    const record = this.#newRecord(banRecord(ban));
    const atomic = kv.atomic().set(
      banKey(ban.userId, ban.room),
      ban,
      ban.until === null ? undefined : {
        expireIn: Math.max(1, ban.until - ban.at),
      },
    );
    await this.#commit(this.#append(atomic, record));
    return { ban, record };
  }

  /** Lifts and records a ban in one commit; see {@linkcode ModerationStore.unban}. */
  async unban(
    userId: string,
    room: string | null,
    by: Actor,
  ): Promise<ModerationRecord | undefined> {
    const kv = await this.#kv;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const stored = await kv.get(banKey(userId, room));
      const ban = parseBan(stored.value);
      if (ban === undefined || !inForce(ban, this.#now())) return undefined;
      const record = this.#newRecord(
        unbanRecord(userId, room, by, this.#now()),
      );
      const atomic = kv.atomic().check(stored).delete(stored.key);
      if ((await commitOrBusy(this.#append(atomic, record))).ok) return record;
    }
    throw new Error(
      `Cannot lift ban: the ban of "${userId}" changed under ${MAX_ATTEMPTS} attempts`,
    );
  }

  /** The ban in force; see {@linkcode ModerationStore.banOf}. */
  async banOf(userId: string, room: string): Promise<Ban | undefined> {
    const kv = await this.#kv;
    const entries = await kv.getMany([
      banKey(userId, room),
      banKey(userId, null),
    ]);
    const now = this.#now();
    return entries.map((entry) => parseBan(entry.value))
      .find((ban) => ban !== undefined && inForce(ban, now));
  }

  /** The bans in force of a scope; see {@linkcode ModerationStore.bans}. */
  async bans(room: string | null, limit: number): Promise<Ban[]> {
    const kv = await this.#kv;
    const prefix = room === null ? ["ban", "server"] : ["ban", "room", room];
    const now = this.#now();
    const bans: Ban[] = [];
    for await (const entry of kv.list({ prefix })) {
      const ban = parseBan(entry.value);
      if (ban === undefined || !inForce(ban, now)) continue;
      bans.push(ban);
      if (bans.length === limit) break;
    }
    return bans;
  }

  /** Records an action; see {@linkcode ModerationStore.record}. */
  async record(action: ActionDraft): Promise<ModerationRecord> {
    const kv = await this.#kv;
    const record = this.#newRecord({ ...action, at: this.#now() });
    await this.#commit(this.#append(kv.atomic(), record));
    return record;
  }

  /** Reads the record, newest first; see {@linkcode ModerationStore.records}. */
  async records(query: RecordQuery): Promise<RecordPage> {
    const kv = await this.#kv;
    const listing = kv.list(
      query.before === undefined
        ? { prefix: ["moderation"] }
        : { prefix: ["moderation"], end: ["moderation", query.before] },
      { reverse: true },
    );
    return await pageRecords(
      (async function* () {
        for await (const { key, value } of listing) {
          const record = parseRecord(value, String(key[1]));
          if (record !== undefined) yield record;
        }
      })(),
      query,
    );
  }

  /** Nothing to release: the caller owns the database. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Same as {@linkcode KvModeration.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #newRecord(draft: Omit<ModerationRecord, "id">): ModerationRecord {
    const time = String(draft.at).padStart(15, "0");
    const count = String(++this.#count % 1e9).padStart(9, "0");
    const suffix = crypto.randomUUID().slice(0, 8);
    return { id: `${time}-${count}-${suffix}`, ...draft };
  }

  #append(
    atomic: Deno.AtomicOperation,
    record: ModerationRecord,
  ): Deno.AtomicOperation {
    const { id, ...value } = record;
    return atomic.set(
      ["moderation", id],
      value,
      this.#maxAgeMs > 0 ? { expireIn: this.#maxAgeMs } : undefined,
    );
  }

  async #commit(atomic: Deno.AtomicOperation): Promise<void> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if ((await commitOrBusy(atomic)).ok) return;
    }
    throw new Error("Cannot record moderation action: the database is busy");
  }
}
