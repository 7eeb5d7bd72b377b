/**
 * The wire format of `/ws`: what clients may send, what the server sends, and
 * the validation between them. `docs/protocol.md` describes the same for
 * people writing clients.
 *
 * @module
 */
import {
  type LogEntry,
  type Member,
  type PresenceEvent,
  type ResetEvent,
  type TypingEvent,
  utf8Length,
} from "../chat/events.ts";
import { MAX_NAME_LENGTH } from "../chat/parse_event.ts";
import {
  DIRECT_ROOM_PREFIX,
  directRoomUsers,
  ROOM_NAME_PATTERN,
} from "../chat/rooms.ts";

export { MAX_NAME_LENGTH };

/** Subprotocol name that selects the JSON protocol; without it a connection speaks plain text. */
export const JSON_PROTOCOL = "chat.v1";
/** Which of the two protocols a connection speaks: plain text (the tutorial's) or `chat.v1` JSON. */
export type ConnectionMode = "plain" | "json";
/** The room every connection is in; plain-text clients live only here. */
export const DEFAULT_ROOM = "general";
/** Longest client `nonce`, in characters. */
export const MAX_NONCE_LENGTH = 64;
/** Longest `epoch` a client may send back, in characters. */
export const MAX_EPOCH_LENGTH = 64;

/** Stable error codes carried by `error` frames. */
export type ErrorCode =
  | "bad_json"
  | "bad_request"
  | "invalid_name"
  | "invalid_room"
  | "not_joined"
  | "already_joined"
  | "too_many_rooms"
  | "message_too_large"
  | "rate_limited"
  | "unavailable"
  | "unauthorized"
  | "token_expired"
  | "auth_required"
  | "read_only"
  | "forbidden"
  | "name_taken"
  | "too_many_connections";

/** WebSocket close codes the server uses. */
export const CloseCode = {
  /** Server shutting down. */
  goingAway: 1001,
  /** A binary frame arrived; only text is spoken. */
  unsupportedData: 1003,
  /** Text that is not valid chat text (plain mode). */
  invalidPayload: 1007,
  /** Persistent abuse, e.g. rate limit strikes. */
  policyViolation: 1008,
  /** A frame larger than the limits allow. */
  messageTooBig: 1009,
  /** The server failed unexpectedly. */
  internalError: 1011,
  /** Slow consumer: the connection could not keep up with its messages. */
  tryAgainLater: 1013,
  /** No valid token where one is required, or none in time. */
  unauthorized: 4401,
  /** The user already holds the most connections allowed. */
  tooManyUserConnections: 4429,
  /** The token expired and no fresh one arrived. */
  tokenExpired: 4440,
} as const;

/** A request from a JSON-protocol client. */
export type ClientMessage =
  | {
    type: "join";
    room: string;
    since?: number;
    epoch?: string;
    nonce?: string;
  }
  | { type: "leave"; room: string; nonce?: string }
  | { type: "send"; room: string; text: string; nonce?: string }
  | {
    type: "history";
    room: string;
    before: number;
    limit?: number;
    nonce?: string;
  }
  | { type: "set_name"; name: string; nonce?: string }
  | { type: "ping"; nonce?: string }
  | { type: "auth"; token: string; nonce?: string }
  | { type: "auth"; guestKey: string; nonce?: string };

/** Who a connection is, as `hello` and `authenticated` tell it. */
export interface UserInfo {
  /** The user id: the token's `sub`, or `guest:…` for a guest. */
  id: string;
  /** The display name. */
  name: string;
  /** `member`, `moderator` or `admin`. */
  role: string;
  /** Whether the user is a guest, not verified by a token. */
  guest: boolean;
}

/** The limits a client is told in `hello`. */
export interface ClientLimits {
  maxMessageBytes: number;
  maxNameLength: number;
  rateLimit: number;
  rateBurst: number;
  historyLimit: number;
  maxRooms: number;
  largeRoom: number;
}

/** Every frame the server sends to a JSON-protocol client. */
export type ServerEvent =
  | {
    type: "hello";
    protocol: typeof JSON_PROTOCOL;
    connectionId: string;
    /** The display name. */
    user: string;
    /** The user id. */
    userId: string;
    guest: boolean;
    role: string;
    /** Whether the connection must send `auth` before anything but `ping`. */
    authRequired: boolean;
    defaultRoom: string;
    limits: ClientLimits;
  }
  | {
    type: "authenticated";
    user: UserInfo;
    /** When the token expires, in milliseconds since the Unix epoch, if it does. */
    expiresAt?: number;
    nonce?: string;
  }
  | {
    type: "joined";
    room: string;
    members: Member[];
    memberCount: number;
    /** Messages; after `since`, edits and deletions too. */
    messages: LogEntry[];
    truncated: boolean;
    hasMore: boolean;
    epoch: string;
  }
  | {
    type: "left";
    room: string;
    /** Why the server took the connection out of the room, when the client did not ask. */
    reason?: ErrorCode;
  }
  | {
    type: "history";
    room: string;
    /** Messages; with `since`, edits and deletions too. */
    messages: LogEntry[];
    hasMore: boolean;
    epoch: string;
  }
  | PresenceEvent
  | ResetEvent
  | TypingEvent
  | LogEntry
  | {
    type: "ack";
    nonce?: string;
    id: number;
    room: string;
    ts: number;
    duplicate: boolean;
  }
  | { type: "renamed"; user: string; nonce?: string }
  | { type: "pong"; nonce?: string }
  | { type: "error"; code: ErrorCode; message: string; nonce?: string };

/** A request that does not follow the protocol; `code` goes into the `error` frame. */
export class ProtocolError extends Error {
  /** The stable error code. */
  readonly code: ErrorCode;
  /** The request's nonce, when it had one, so the client can match the error. */
  readonly nonce?: string;

  /** Creates a ProtocolError with its code and optional nonce. */
  constructor(code: ErrorCode, message: string, nonce?: string) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
    if (nonce !== undefined) this.nonce = nonce;
  }
}

/**
 * Joins already-encoded JSON frames into one frame: a single event stays as
 * it is, several become a JSON array of events.
 *
 * @param frames Encoded events, at least one.
 * @returns One frame.
 */
export function batchFrame(frames: readonly string[]): string {
  return frames.length === 1 ? frames[0]! : `[${frames.join(",")}]`;
}

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
 * import { normalizeName } from "./protocol.ts";
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
 * import { normalizeRoom } from "./protocol.ts";
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

function readCount(
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readNonce(frame: Record<string, unknown>): string | undefined {
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

/** A join's `epoch`: the one its `since` belongs to, so it needs `since`. */
function readEpoch(
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

function normalizeNameWithNonce(name: unknown, nonce?: string): string {
  try {
    return normalizeName(name);
  } catch (error) {
    if (!(error instanceof ProtocolError) || nonce === undefined) throw error;
    throw new ProtocolError(error.code, error.message, nonce);
  }
}

/** Options for {@linkcode parseClientMessage}. */
export interface ParseOptions {
  /**
   * Largest `text` of a `send`, in UTF-8 bytes.
   *
   * @default {4096}
   */
  maxMessageBytes?: number;
  /**
   * Largest `limit` of a `history` request.
   *
   * @default {100}
   */
  historyLimit?: number;
}

/**
 * Validates a decoded JSON value as a client request.
 *
 * @param data The value `JSON.parse` returned.
 * @param options Limits to apply.
 * @returns The request, typed.
 * @throws {ProtocolError} `bad_request`, `invalid_name`, `invalid_room` or `message_too_large`, with the request's nonce when it had one.
 *
 * @example A send request
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseClientMessage } from "./protocol.ts";
 *
 * const request = parseClientMessage({ type: "send", text: "hi", nonce: "n1" });
 * assert.deepEqual(request, { type: "send", room: "general", text: "hi", nonce: "n1" });
 * assert.throws(() => parseClientMessage({ type: "shout" }), /unknown type/);
 * ```
 */
export function parseClientMessage(
  data: unknown,
  options: ParseOptions = {},
): ClientMessage {
  const { maxMessageBytes = 4096, historyLimit = 100 } = options;
  if (!isRecord(data)) {
    throw new ProtocolError(
      "bad_request",
      "Cannot read request: expected a JSON object",
    );
  }
  const nonce = readNonce(data);
  const withNonce = nonce === undefined ? {} : { nonce };
  switch (data.type) {
    case "join": {
      const room = normalizeRoom(data.room, nonce);
      const since = readCount(data, "since", 0, Number.MAX_SAFE_INTEGER, nonce);
      const epoch = readEpoch(data, since, nonce);
      return {
        type: "join",
        room,
        ...(since === undefined ? {} : { since }),
        ...(epoch === undefined ? {} : { epoch }),
        ...withNonce,
      };
    }
    case "leave":
      return {
        type: "leave",
        room: normalizeRoom(data.room, nonce),
        ...withNonce,
      };
    case "send": {
      const room = data.room === undefined
        ? DEFAULT_ROOM
        : normalizeRoom(data.room, nonce);
      if (typeof data.text !== "string") {
        throw new ProtocolError(
          "bad_request",
          'Cannot send message: "text" must be a string',
          nonce,
        );
      }
      const text = validateText(data.text, maxMessageBytes, nonce);
      return { type: "send", room, text, ...withNonce };
    }
    case "history": {
      const room = normalizeRoom(data.room, nonce);
      const before = readCount(
        data,
        "before",
        1,
        Number.MAX_SAFE_INTEGER,
        nonce,
      );
      if (before === undefined) {
        throw new ProtocolError(
          "bad_request",
          'Cannot read history: "before" is required',
          nonce,
        );
      }
      const limit = readCount(data, "limit", 1, historyLimit, nonce);
      return {
        type: "history",
        room,
        before,
        ...(limit === undefined ? {} : { limit }),
        ...withNonce,
      };
    }
    case "set_name":
      return {
        type: "set_name",
        name: normalizeNameWithNonce(data.name, nonce),
        ...withNonce,
      };
    case "ping":
      return { type: "ping", ...withNonce };
    case "auth": {
      const { token, guestKey } = data;
      if (typeof token === "string" && guestKey === undefined) {
        return { type: "auth", token, ...withNonce };
      }
      if (typeof guestKey === "string" && token === undefined) {
        return { type: "auth", guestKey, ...withNonce };
      }
      throw new ProtocolError(
        "bad_request",
        'Cannot sign in: send either "token" or "guestKey", a string',
        nonce,
      );
    }
    default:
      throw new ProtocolError(
        "bad_request",
        `Cannot read request: unknown type ${
          JSON.stringify(data.type) ?? "undefined"
        }`,
        nonce,
      );
  }
}

/**
 * Parses one text frame of the JSON protocol.
 *
 * @param frame The frame's text.
 * @param options Limits to apply.
 * @returns The request, typed.
 * @throws {ProtocolError} `bad_json` for unparsable text, otherwise as {@linkcode parseClientMessage}.
 */
export function decodeClientFrame(
  frame: string,
  options: ParseOptions = {},
): ClientMessage {
  let data: unknown;
  try {
    data = JSON.parse(frame);
  } catch {
    throw new ProtocolError(
      "bad_json",
      "Cannot parse request: frame is not valid JSON",
    );
  }
  return parseClientMessage(data, options);
}
