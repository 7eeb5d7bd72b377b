/**
 * Bans and records as every moderation store reads and writes them: whether
 * a ban is in force, the records of a ban and an unban, reading the record a
 * page at a time, and how long records are kept. `moderation.ts` re-exports
 * them.
 *
 * @module
 */
import type {
  Actor,
  Ban,
  ModerationRecord,
  RecordPage,
  RecordQuery,
} from "./_moderation_store.ts";

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
