/**
 * Reading a connection's text frames: the longest frame its protocol
 * allows, and each frame handed to the session, as a `chat.v1` request or
 * as a plain-text message. For `connection.ts`.
 *
 * @module
 */
import {
  type ClientMessage,
  CloseCode,
  type ConnectionMode,
  decodeClientFrame,
  type ParseOptions,
  ProtocolError,
  validateText,
} from "./protocol.ts";
import type { Session } from "./session.ts";

/** Room for the JSON envelope around the text when bounding a whole frame. */
const FRAME_OVERHEAD_BYTES = 1024;
/** JSON may escape a UTF-8 byte as up to six characters (`\u00e9`). */
const JSON_ESCAPE_FACTOR = 6;

/** The close a frame calls for: its code and reason. */
export interface FrameClose {
  /** WebSocket close code. */
  readonly code: number;
  /** Short human-readable reason. */
  readonly reason: string;
}

/** Plain text above the message limit. */
const MESSAGE_TOO_LARGE: FrameClose = {
  code: CloseCode.messageTooBig,
  reason: "Message too large",
};
/** Plain text that is not chat text. */
const INVALID_TEXT: FrameClose = {
  code: CloseCode.invalidPayload,
  reason: "Invalid message text",
};

/**
 * The longest text frame a connection reads, in UTF-16 code units: a plain
 * message, or a `chat.v1` request whose text may be escaped in full.
 *
 * @param mode The protocol the connection speaks.
 * @param maxMessageBytes The `maxMessageBytes` setting.
 * @returns The frame limit.
 */
export function maxFrameLength(
  mode: ConnectionMode,
  maxMessageBytes: number,
): number {
  return mode === "plain"
    ? maxMessageBytes
    : maxMessageBytes * JSON_ESCAPE_FACTOR + FRAME_OVERHEAD_BYTES;
}

/**
 * Hands a `chat.v1` frame to the session: the request it holds, or the
 * refusal of one that is not a valid request (answered with `error`).
 *
 * @param frame The frame's text, within {@linkcode maxFrameLength}.
 * @param session The connection's session.
 * @param limits The limits requests are read with.
 * @throws Whatever reading the frame throws besides a `ProtocolError`.
 */
export function readRequest(
  frame: string,
  session: Session,
  limits: ParseOptions,
): void {
  let request: ClientMessage;
  try {
    request = decodeClientFrame(frame, limits);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    session.refuse(error);
    return;
  }
  session.handle(request);
}

/**
 * Hands a plain-text frame to the session: a message to post, or a blank
 * line that only takes a control token. Plain text has no `error` frame, so
 * text that is not chat text closes the connection instead.
 *
 * @param frame The frame's text, within {@linkcode maxFrameLength}.
 * @param session The connection's session.
 * @param maxMessageBytes The largest message, in UTF-8 bytes.
 * @returns The close that text calls for (1009 too large, 1007 otherwise), or `undefined` when the session took it.
 * @throws Whatever checking the text throws besides a `ProtocolError`.
 */
export function readPlainText(
  frame: string,
  session: Session,
  maxMessageBytes: number,
): FrameClose | undefined {
  if (frame.trim() === "") {
    session.skipPlain();
    return undefined;
  }
  try {
    validateText(frame, maxMessageBytes);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return error.code === "message_too_large"
      ? MESSAGE_TOO_LARGE
      : INVALID_TEXT;
  }
  session.postPlain(frame);
  return undefined;
}
