/**
 * Checking the fields of `/ws` requests, for `protocol.ts` (which
 * re-exports what others use): chat text, display names, room names,
 * counts, nonces and epochs.
 *
 * @module
 */
import { utf8Length } from "../chat/events.ts";
import { MAX_NAME_LENGTH } from "../chat/parse_event.ts";
import {
  DIRECT_ROOM_PREFIX,
  directRoomUsers,
  ROOM_NAME_PATTERN,
} from "../chat/rooms.ts";
import { ProtocolError } from "./protocol_error.ts";

/** Longest client `nonce`, in characters. */
export const MAX_NONCE_LENGTH = 64;
/** Longest `epoch` a client may send back, in characters. */
export const MAX_EPOCH_LENGTH = 64;

/** Characters never allowed in text: C0/C1 controls other than tab, newline and carriage return. */
const FORBIDDEN_IN_TEXT = /(?![\t\n\r])\p{Cc}/u;
/** Characters never allowed in names: controls, and format characters except the emoji joiner (U+200D). */
const FORBIDDEN_IN_NAME = /[\p{Cc}\p{Co}\p{Cn}]|(?!\u200d)\p{Cf}/u;

/**
 * Checks chat text: well-formed Unicode, no control characters but tab and
 * line breaks, not blank, and at most `maxBytes` UTF-8 bytes.
 *
 * @param text The text to check.
 * @param maxBytes Largest size in UTF-8 bytes.
 * @param nonce The request's nonce, carried into the error.
 * @returns `text`, unchanged.
 * @throws {ProtocolError} `message_too_large` or `bad_request`.
 */
export function validateText(
  text: string,
  maxBytes: number,
  nonce?: string,
): string {
  if (text.length > maxBytes || utf8Length(text) > maxBytes) {
    throw new ProtocolError(
      "message_too_large",
      `Cannot send message: text exceeds ${maxBytes} bytes`,
      nonce,
    );
  }
  if (!text.isWellFormed() || FORBIDDEN_IN_TEXT.test(text)) {
    throw new ProtocolError(
      "bad_request",
      "Cannot send message: text contains control characters or lone surrogates",
      nonce,
    );
  }
  if (text.trim() === "") {
    throw new ProtocolError(
      "bad_request",
      "Cannot send message: text is empty",
      nonce,
    );
  }
  return text;
}

/**
 * Normalises and checks a display name: NFC, trimmed, 1 to
 * {@linkcode MAX_NAME_LENGTH} characters, no control, private-use,
 * unassigned or invisible format characters (the emoji joiner U+200D is allowed).
 *
 * @param name The requested name.
 * @returns The normalised name.
 * @throws {ProtocolError} `invalid_name` with the rule that failed.
 *
 * @example Trimming and rejecting
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeName } from "./_fields.ts";
 *
 * assert.equal(normalizeName("  Ada "), "Ada");
 * assert.throws(() => normalizeName("a\u202Eb"), /invisible|control/);
 * ```
 */
export function normalizeName(name: unknown): string {
  if (typeof name !== "string") {
    throw new ProtocolError(
      "invalid_name",
      "Cannot set name: name must be a string",
    );
  }
  if (!name.isWellFormed()) {
    throw new ProtocolError(
      "invalid_name",
      "Cannot set name: name has lone surrogates",
    );
  }
  const normalized = name.normalize("NFC").trim();
  const length = [...normalized].length;
  if (length < 1 || length > MAX_NAME_LENGTH) {
    throw new ProtocolError(
      "invalid_name",
      `Cannot set name: name must be 1 to ${MAX_NAME_LENGTH} characters`,
    );
  }
  if (FORBIDDEN_IN_NAME.test(normalized)) {
    throw new ProtocolError(
      "invalid_name",
      "Cannot set name: name contains control or invisible characters",
    );
  }
  return normalized;
}

/**
 * Checks a room name and folds it to lower case; a direct room's name
 * (`dm:…`) must be in its canonical form and keeps its case.
 *
 * @param room The requested room.
 * @param nonce The request's nonce, carried into the error.
 * @returns The folded name.
 * @throws {ProtocolError} `invalid_room`.
 *
 * @example Folding case
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeRoom } from "./_fields.ts";
 *
 * assert.equal(normalizeRoom("Dev-Team"), "dev-team");
 * assert.equal(normalizeRoom("dm:Ada:bo"), "dm:Ada:bo");
 * assert.throws(() => normalizeRoom("no spaces"), /room/);
 * ```
 */
export function normalizeRoom(room: unknown, nonce?: string): string {
  if (typeof room === "string" && room.startsWith(DIRECT_ROOM_PREFIX)) {
    if (directRoomUsers(room) !== null) return room;
    throw new ProtocolError(
      "invalid_room",
      'Cannot use room: a direct room is "dm:" and two different user ids, percent-encoded and sorted',
      nonce,
    );
  }
  if (typeof room !== "string" || !ROOM_NAME_PATTERN.test(room)) {
    throw new ProtocolError(
      "invalid_room",
      'Cannot use room: a room name is 1 to 64 letters, digits, "-" or "_"',
      nonce,
    );
  }
  return room.toLowerCase();
}

/**
 * Reads an optional integer field within bounds.
 *
 * @returns The value, or `undefined` when absent.
 * @throws {ProtocolError} `bad_request` for another type or a value out of bounds.
 */
export function readCount(
  frame: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
  nonce?: string,
): number | undefined {
  const value = frame[field];
  if (value === undefined) return undefined;
  if (
    typeof value !== "number" || !Number.isSafeInteger(value) || value < min ||
    value > max
  ) {
    throw new ProtocolError(
      "bad_request",
      `Cannot read request: "${field}" must be an integer from ${min} to ${max}`,
      nonce,
    );
  }
  return value;
}

/** Whether `value` is a JSON object (not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads a request's optional `nonce`.
 *
 * @throws {ProtocolError} `bad_request` for one that is not 1 to 64 characters.
 */
export function readNonce(
  frame: Record<string, unknown>,
): string | undefined {
  const nonce = frame.nonce;
  if (nonce === undefined) return undefined;
  if (
    typeof nonce !== "string" || nonce.length < 1 ||
    nonce.length > MAX_NONCE_LENGTH
  ) {
    throw new ProtocolError(
      "bad_request",
      `Cannot read request: "nonce" must be a string of 1 to ${MAX_NONCE_LENGTH} characters`,
    );
  }
  return nonce;
}

/**
 * A join's `epoch`: the one its `since` belongs to, so it needs `since`.
 *
 * @throws {ProtocolError} `bad_request` for a bad epoch, or one without `since`.
 */
export function readEpoch(
  frame: Record<string, unknown>,
  since: number | undefined,
  nonce?: string,
): string | undefined {
  const epoch = frame.epoch;
  if (epoch === undefined) return undefined;
  if (
    typeof epoch !== "string" || epoch.length < 1 ||
    epoch.length > MAX_EPOCH_LENGTH
  ) {
    throw new ProtocolError(
      "bad_request",
      `Cannot read request: "epoch" must be a string of 1 to ${MAX_EPOCH_LENGTH} characters`,
      nonce,
    );
  }
  if (since === undefined) {
    throw new ProtocolError(
      "bad_request",
      'Cannot read request: "epoch" is the epoch of "since", which is missing',
      nonce,
    );
  }
  return epoch;
}

/**
 * {@linkcode normalizeName} with the request's nonce in its error.
 *
 * @throws {ProtocolError} `invalid_name`.
 */
export function normalizeNameWithNonce(
  name: unknown,
  nonce?: string,
): string {
  try {
    return normalizeName(name);
  } catch (error) {
    if (!(error instanceof ProtocolError) || nonce === undefined) throw error;
    throw new ProtocolError(error.code, error.message, nonce);
  }
}

/**
 * The refusal of a request whose `type` the protocol does not know.
 *
 * @param type The request's `type`, whatever it is.
 * @param nonce The request's nonce.
 * @returns The error to throw.
 */
export function unknownType(type: unknown, nonce?: string): ProtocolError {
  return new ProtocolError(
    "bad_request",
    `Cannot read request: unknown type ${JSON.stringify(type) ?? "undefined"}`,
    nonce,
  );
}
