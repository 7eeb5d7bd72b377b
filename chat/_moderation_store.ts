/**
 * What moderation keeps: bans (from a room, or server-wide; lasting or until
 * a time), the record of every moderation action, and the interface of the
 * store that keeps both. `moderation.ts` re-exports them.
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
