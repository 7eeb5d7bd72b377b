/**
 * The wire format of `/ws`: what clients may send, what the server sends, and
 * the validation between them. `docs/protocol.md` describes the same for
 * people writing clients.
 *
 * @module
 */
import type {
  LogEntry,
  Member,
  PresenceEvent,
  ResetEvent,
  TypingEvent,
} from "../chat/events.ts";
import type { RoomInfo } from "../chat/directory.ts";
import { MAX_NAME_LENGTH } from "../chat/parse_event.ts";
import {
  isRecord,
  MAX_EPOCH_LENGTH,
  MAX_NONCE_LENGTH,
  normalizeName,
  normalizeNameWithNonce,
  normalizeRoom,
  readCount,
  readEpoch,
  readNonce,
  unknownType,
  validateText,
} from "./_fields.ts";
import { type ErrorCode, ProtocolError } from "./protocol_error.ts";
import {
  ACTION_TYPES,
  type ActionRequest,
  parseActionRequest,
} from "./_action_requests.ts";

export {
  type ErrorCode,
  MAX_EPOCH_LENGTH,
  MAX_NAME_LENGTH,
  MAX_NONCE_LENGTH,
  normalizeName,
  normalizeRoom,
  ProtocolError,
  validateText,
};

/** Subprotocol name that selects the JSON protocol; without it a connection speaks plain text. */
export const JSON_PROTOCOL = "chat.v1";
/** Which of the two protocols a connection speaks: plain text (the tutorial's) or `chat.v1` JSON. */
export type ConnectionMode = "plain" | "json";
/** The room every connection is in; plain-text clients live only here. */
export const DEFAULT_ROOM = "general";

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
  /** Plain text: the user is banned from the room (or from every room). */
  banned: 4403,
  /** Plain text: a moderator took the user out of the room. */
  kicked: 4409,
  /** The host application ended every connection of the user. */
  disconnected: 4410,
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
  | { type: "set_name"; name: string; nonce?: string }
  | { type: "ping"; nonce?: string }
  /** The room directory: public rooms where someone is present. */
  | { type: "rooms"; nonce?: string }
  | {
    type: "history";
    room: string;
    before: number;
    /** Page back through every kind of entry above this id, as a resume missed them. */
    since?: number;
    limit?: number;
    nonce?: string;
  }
  | { type: "auth"; token: string; nonce?: string }
  | { type: "auth"; guestKey: string; nonce?: string }
  | ActionRequest;

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
  /** Largest message text, in UTF-8 bytes. */
  maxMessageBytes: number;
  /** Longest display name, in characters. */
  maxNameLength: number;
  /** Rate-limited requests per second, sustained. */
  rateLimit: number;
  /** Rate-limited requests at once above the rate. */
  rateBurst: number;
  /** Messages in a join's history, and the largest history page. */
  historyLimit: number;
  /** Rooms one connection may be in at once. */
  maxRooms: number;
  /** Room size above which presence sends counts, not names. */
  largeRoom: number;
  /** Milliseconds between two `typing` events the room passes on for one user. */
  typingInterval: number;
  /** Seconds after sending during which an author may edit or delete a message; 0 for always. */
  editWindow: number;
}

/** The answer to a moderator's `ban`, `unban` or `kick`: what was done. */
export interface ModeratedEvent {
  /** Always `"moderated"`. */
  type: "moderated";
  /** What was done. */
  action: "ban" | "unban" | "kick";
  /** The room; `null` for every room. */
  room: string | null;
  /** The user it was done to. */
  userId: string;
  /** For a ban: when it ends, in milliseconds since the Unix epoch; `null` when it lasts. */
  until?: number | null;
  /** The request's nonce. */
  nonce?: string;
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
    /**
     * Why the server took the connection out of the room, when the client
     * did not ask: its new token no longer opens it, or a moderator banned
     * or kicked the user.
     */
    reason?: "forbidden" | "banned" | "kicked";
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
  | {
    type: "rooms";
    /** Public rooms where someone is present, busiest first. */
    rooms: RoomInfo[];
    nonce?: string;
  }
  | ModeratedEvent
  | { type: "pong"; nonce?: string }
  | { type: "error"; code: ErrorCode; message: string; nonce?: string };

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
      const since = readCount(data, "since", 0, before - 1, nonce);
      const limit = readCount(data, "limit", 1, historyLimit, nonce);
      return {
        type: "history",
        room,
        before,
        ...(since === undefined ? {} : { since }),
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
    case "rooms":
      return { type: "rooms", ...withNonce };
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
      if (typeof data.type === "string" && ACTION_TYPES.includes(data.type)) {
        return parseActionRequest(data, maxMessageBytes, nonce);
      }
      throw unknownType(data.type, nonce);
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
