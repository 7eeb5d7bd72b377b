/**
 * The requests that act on messages and members, for `protocol.ts`: `edit`
 * and `delete` of a message, `typing`, and a moderator's `ban`, `unban` and
 * `kick`.
 *
 * @module
 */
import { isUserId } from "../chat/parse_event.ts";
import { isReasonText, MAX_REASON_LENGTH } from "../chat/parse_moderation.ts";
import {
  normalizeRoom,
  readCount,
  unknownType,
  validateText,
} from "./_fields.ts";
import { ProtocolError } from "./protocol_error.ts";

/** Longest ban a request may give, in seconds (ten years); a longer one is one without an end. */
export const MAX_BAN_SECONDS = 315_360_000;

/** A request that acts on a message or a member. */
export type ActionRequest =
  | { type: "edit"; room: string; id: number; text: string; nonce?: string }
  | { type: "delete"; room: string; id: number; nonce?: string }
  | { type: "typing"; room: string; nonce?: string }
  | {
    type: "ban";
    /** The room; `null` for every room (admins only). */
    room: string | null;
    userId: string;
    /** Seconds the ban lasts; absent for one without an end. */
    duration?: number;
    reason?: string;
    nonce?: string;
  }
  | { type: "unban"; room: string | null; userId: string; nonce?: string }
  | {
    type: "kick";
    room: string;
    userId: string;
    reason?: string;
    nonce?: string;
  };

/** The types {@linkcode parseActionRequest} reads. */
export const ACTION_TYPES: readonly string[] = [
  "edit",
  "delete",
  "typing",
  "ban",
  "unban",
  "kick",
];

function bad(message: string, nonce?: string): ProtocolError {
  return new ProtocolError("bad_request", message, nonce);
}

function readMessageId(frame: Record<string, unknown>, nonce?: string): number {
  const id = readCount(frame, "id", 1, Number.MAX_SAFE_INTEGER, nonce);
  if (id === undefined) {
    throw bad('Cannot read request: "id" of the message is required', nonce);
  }
  return id;
}

function readUserId(frame: Record<string, unknown>, nonce?: string): string {
  if (!isUserId(frame.userId)) {
    throw bad(
      'Cannot read request: "userId" must be a string of 1 to 128 characters',
      nonce,
    );
  }
  return frame.userId;
}

/** A room, or `null` for every room: the field must be there, so nobody bans everywhere by leaving it out. */
function readScope(
  frame: Record<string, unknown>,
  nonce?: string,
): string | null {
  if (frame.room === null) return null;
  if (frame.room === undefined) {
    throw bad(
      'Cannot read request: "room" is required; null for every room',
      nonce,
    );
  }
  return normalizeRoom(frame.room, nonce);
}

function readReason(
  frame: Record<string, unknown>,
  nonce?: string,
): { reason?: string } {
  const { reason } = frame;
  if (reason === undefined) return {};
  if (!isReasonText(reason)) {
    throw bad(
      `Cannot read request: "reason" must be text of at most ${MAX_REASON_LENGTH} characters`,
      nonce,
    );
  }
  return { reason };
}

/**
 * Validates an action request; the caller has read its nonce.
 *
 * @param frame The request, a JSON object whose `type` is one of {@linkcode ACTION_TYPES}.
 * @param maxMessageBytes Largest text of an edit, in UTF-8 bytes.
 * @param nonce The request's nonce.
 * @returns The request, typed.
 * @throws {ProtocolError} `bad_request`, `invalid_room` or `message_too_large`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseActionRequest } from "./_action_requests.ts";
 *
 * assert.deepEqual(
 *   parseActionRequest({ type: "ban", room: null, userId: "bo", duration: 60 }, 4096),
 *   { type: "ban", room: null, userId: "bo", duration: 60 },
 * );
 * assert.throws(() => parseActionRequest({ type: "ban", userId: "bo" }, 4096), /room/);
 * ```
 */
export function parseActionRequest(
  frame: Record<string, unknown>,
  maxMessageBytes: number,
  nonce?: string,
): ActionRequest {
  const withNonce = nonce === undefined ? {} : { nonce };
  switch (frame.type) {
    case "edit": {
      const room = normalizeRoom(frame.room, nonce);
      const id = readMessageId(frame, nonce);
      if (typeof frame.text !== "string") {
        throw bad('Cannot edit message: "text" must be a string', nonce);
      }
      const text = validateText(frame.text, maxMessageBytes, nonce);
      return { type: "edit", room, id, text, ...withNonce };
    }
    case "delete": {
      const room = normalizeRoom(frame.room, nonce);
      return {
        type: "delete",
        room,
        id: readMessageId(frame, nonce),
        ...withNonce,
      };
    }
    case "typing":
      return {
        type: "typing",
        room: normalizeRoom(frame.room, nonce),
        ...withNonce,
      };
    case "ban": {
      const room = readScope(frame, nonce);
      const userId = readUserId(frame, nonce);
      const duration = readCount(frame, "duration", 1, MAX_BAN_SECONDS, nonce);
      return {
        type: "ban",
        room,
        userId,
        ...(duration === undefined ? {} : { duration }),
        ...readReason(frame, nonce),
        ...withNonce,
      };
    }
    case "unban": {
      const room = readScope(frame, nonce);
      return {
        type: "unban",
        room,
        userId: readUserId(frame, nonce),
        ...withNonce,
      };
    }
    case "kick": {
      const room = normalizeRoom(frame.room, nonce);
      const userId = readUserId(frame, nonce);
      return {
        type: "kick",
        room,
        userId,
        ...readReason(frame, nonce),
        ...withNonce,
      };
    }
    default:
      throw unknownType(frame.type, nonce);
  }
}
