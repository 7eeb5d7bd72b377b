/**
 * The requests a JSON-protocol client may send, and reading one from a frame
 * without trusting it. `protocol.ts` re-exports them.
 *
 * @module
 */
import {
  isRecord,
  normalizeNameWithNonce,
  normalizeRoom,
  readCount,
  readEpoch,
  readNonce,
  unknownType,
  validateText,
} from "./_fields.ts";
import { ProtocolError } from "./protocol_error.ts";
import {
  ACTION_TYPES,
  type ActionRequest,
  parseActionRequest,
} from "./_action_requests.ts";
import { DEFAULT_ROOM } from "./_connection_modes.ts";

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
