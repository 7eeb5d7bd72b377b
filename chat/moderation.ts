/**
 * Moderation's stored state: bans (from a room, or server-wide; lasting or
 * until a time) and the record of every moderation action, who did what and
 * when. `kv/moderation.ts` and `redis/moderation.ts` keep them where every
 * instance reads them; {@linkcode MemoryModeration} keeps them in this
 * process.
 *
 * Each part lives in its own module beside this one; this is the one the
 * stores, the moderator and the server import.
 *
 * @module
 */
export {
  type ActionDraft,
  type ActionKind,
  ACTIONS,
  type Actor,
  type Ban,
  type ModerationRecord,
  type ModerationStore,
  type RecordPage,
  type RecordQuery,
} from "./_moderation_store.ts";
export {
  banRecord,
  DEFAULT_RECORD_MAX_AGE_MS,
  inForce,
  matches,
  MAX_RECORDS_SCANNED,
  pageRecords,
  unbanRecord,
} from "./_moderation_records.ts";
export {
  MemoryModeration,
  type MemoryModerationOptions,
} from "./_memory_moderation.ts";
