/**
 * Edits and deletions of messages, as the stores take them: what a user
 * asks to change, the log entry it becomes, and why a store refuses one.
 * Who may change which message (the author, within the edit window; a
 * moderator) is the server's to decide before; the store decides, atomically,
 * whether the message can still be changed.
 *
 * @module
 */
import type { DeleteEvent, EditEvent } from "./events.ts";

/** Who changes a message. */
export interface Amender {
  /** Their user id. */
  userId: string;
  /** Their display name. */
  user: string;
  /** Whether they are a guest. */
  guest?: boolean;
  /** Whether the host application's backend makes the change. */
  bot?: boolean;
  /** Client nonce: an amendment whose (room, user id, nonce) was stored recently is not stored again. */
  nonce?: string;
}

/** An edit or a deletion of message `target`, before it has an id. */
export type Amendment =
  & Amender
  & (
    | { type: "edit"; target: number; text: string }
    | { type: "delete"; target: number }
  );

/** What storing an amendment produced. */
export interface Amended {
  /** The stored entry; for a duplicate, the one stored earlier. */
  entry: EditEvent | DeleteEvent;
  /** Whether the nonce matched an earlier entry, so nothing new was stored. */
  duplicate: boolean;
  /** The epoch the entry's id belongs to. */
  epoch: string;
}

/** Why a store refused an amendment. */
export type RefusalReason = "not_found" | "deleted" | "too_many_edits";

/** Thrown by `History.amend()` when the message cannot be changed; nothing was stored. */
export class AmendmentRefusedError extends Error {
  /** Why: the message is not kept, is deleted, or was edited the most times allowed. */
  readonly reason: RefusalReason;

  /** Creates an AmendmentRefusedError for message `target`. */
  constructor(reason: RefusalReason, target: number) {
    super(
      reason === "not_found"
        ? `Cannot change message: ${target} is not kept in this room`
        : reason === "deleted"
        ? `Cannot change message: ${target} is deleted`
        : `Cannot edit message: ${target} was edited the most times allowed`,
    );
    this.name = "AmendmentRefusedError";
    this.reason = reason;
  }
}

/** Default for the stores' `maxEdits` option: edits one message may have. */
export const DEFAULT_MAX_EDITS = 50;

/**
 * The log entry an amendment becomes once the store has numbered and timed it.
 *
 * @param room The room.
 * @param id Its id in the room's sequence.
 * @param ts Milliseconds since the Unix epoch.
 * @param amendment What changes, and who changes it.
 * @returns The `edit` or `delete` entry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { entryOf } from "./amendments.ts";
 *
 * const entry = entryOf("r", 9, 0, { type: "edit", target: 4, text: "fixed", userId: "u1", user: "Ada" });
 * assert.deepEqual(entry, { type: "edit", id: 9, room: "r", ts: 0, user: "Ada", userId: "u1", target: 4, text: "fixed" });
 * ```
 */
export function entryOf(
  room: string,
  id: number,
  ts: number,
  amendment: Amendment,
): EditEvent | DeleteEvent {
  const author = {
    user: amendment.user,
    userId: amendment.userId,
    ...(amendment.guest ? { guest: true as const } : {}),
    ...(amendment.bot ? { bot: true as const } : {}),
  };
  return amendment.type === "edit"
    ? {
      type: "edit",
      id,
      room,
      ts,
      ...author,
      target: amendment.target,
      text: amendment.text,
    }
    : { type: "delete", id, room, ts, ...author, target: amendment.target };
}
