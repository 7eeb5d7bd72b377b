/**
 * Reading moderation state that comes from outside this process (bans and
 * records from a store, control events from the bus between instances)
 * without trusting it: every field is checked, and what fails is
 * `undefined`, never thrown, so one bad entry is skipped.
 *
 * @module
 */
import type { ControlEvent } from "./control.ts";
import {
  type ActionKind,
  ACTIONS,
  type Actor,
  type Ban,
  type ModerationRecord,
} from "./moderation.ts";
import { isMessageId, isUserId, MAX_NAME_LENGTH } from "./parse_event.ts";
import { isRoomName } from "./rooms.ts";

/** Longest reason a moderator may give, in characters. */
export const MAX_REASON_LENGTH = 500;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isUntil(value: unknown): value is number | null {
  return value === null || isTime(value);
}

function isScope(value: unknown): value is string | null {
  return value === null || isRoomName(value);
}

/**
 * Whether `value` can be a moderator's reason: text of at most
 * {@linkcode MAX_REASON_LENGTH} characters, with no control characters.
 *
 * @param value Anything.
 * @returns Whether it is one.
 */
export function isReasonText(value: unknown): value is string {
  return typeof value === "string" && value.length <= MAX_REASON_LENGTH &&
    value.isWellFormed() && !/\p{Cc}/u.test(value);
}

function isReason(value: unknown): value is string | undefined {
  return value === undefined || isReasonText(value);
}

function parseActor(value: unknown): Actor | undefined {
  if (!isRecord(value)) return undefined;
  const { id, name } = value;
  if (
    !isUserId(id) || typeof name !== "string" ||
    name.length > MAX_NAME_LENGTH * 2
  ) {
    return undefined;
  }
  return { id, name };
}

/**
 * Checks a stored ban.
 *
 * @param value Anything read from a store.
 * @returns The ban, with only its known fields, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBan } from "./parse_moderation.ts";
 *
 * const ban = { userId: "bo", room: null, until: null, by: { id: "m", name: "Mo" }, at: 0 };
 * assert.deepEqual(parseBan({ ...ban, extra: 1 }), ban);
 * assert.equal(parseBan({ ...ban, room: "No Spaces" }), undefined);
 * ```
 */
export function parseBan(value: unknown): Ban | undefined {
  if (!isRecord(value)) return undefined;
  const { userId, room, until, reason, at } = value;
  const by = parseActor(value.by);
  if (
    !isUserId(userId) || !isScope(room) || !isUntil(until) ||
    !isReason(reason) || !isTime(at) || by === undefined
  ) {
    return undefined;
  }
  const ban: Ban = { userId, room, until, by, at };
  if (reason !== undefined) ban.reason = reason;
  return ban;
}

/**
 * Checks a stored moderation record.
 *
 * @param value Anything read from a store.
 * @param id The store's id for it.
 * @returns The record, with only its known fields, or `undefined`.
 */
export function parseRecord(
  value: unknown,
  id: string,
): ModerationRecord | undefined {
  if (!isRecord(value)) return undefined;
  const { at, action, userId, room, messageId, until, reason } = value;
  const by = parseActor(value.by);
  if (
    !isTime(at) || !ACTIONS.includes(action as ActionKind) ||
    !isUserId(userId) || by === undefined ||
    (room !== undefined && !isRoomName(room)) ||
    (messageId !== undefined && !isMessageId(messageId)) ||
    (until !== undefined && !isUntil(until)) || !isReason(reason)
  ) {
    return undefined;
  }
  const record: ModerationRecord = {
    id,
    at,
    action: action as ActionKind,
    by,
    userId,
  };
  if (room !== undefined) record.room = room;
  if (messageId !== undefined) record.messageId = messageId;
  if (until !== undefined) record.until = until;
  if (reason !== undefined) record.reason = reason;
  return record;
}

/**
 * Checks a control event received from another instance.
 *
 * @param value Anything received.
 * @returns The event, with only its known fields, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseControlEvent } from "./parse_moderation.ts";
 *
 * assert.deepEqual(parseControlEvent({ type: "kick", userId: "bo", room: "general" }), { type: "kick", userId: "bo", room: "general" });
 * assert.equal(parseControlEvent({ type: "kick", userId: "bo" }), undefined);
 * ```
 */
export function parseControlEvent(value: unknown): ControlEvent | undefined {
  if (!isRecord(value) || !isUserId(value.userId)) return undefined;
  const { type, userId, room, until } = value;
  switch (type) {
    case "ban":
      return isScope(room) && isUntil(until)
        ? { type, userId, room, until }
        : undefined;
    case "unban":
      return isScope(room) ? { type, userId, room } : undefined;
    case "kick":
      return isRoomName(room) ? { type, userId, room } : undefined;
    case "disconnect":
      return { type, userId };
    default:
      return undefined;
  }
}
