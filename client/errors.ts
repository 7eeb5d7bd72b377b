/**
 * The one error the client rejects with: a stable code, as the server's
 * `error` frames carry, plus the client's own (`disconnected`, `closed`).
 *
 * @module
 */
import type { ErrorCode } from "./types.ts";

/**
 * A request the server refused, or one the client could not complete.
 *
 * @example Telling a refused message from a closed client
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChatError } from "./errors.ts";
 *
 * const error = new ChatError("message_too_large", "Cannot send message: text exceeds 4096 bytes");
 * assert.ok(error instanceof ChatError);
 * assert.equal(error.code, "message_too_large");
 * assert.equal(error.name, "ChatError");
 * ```
 */
export class ChatError extends Error {
  /** Stable: `message` is for people and may change. */
  readonly code: ErrorCode;

  /**
   * Creates a ChatError.
   *
   * @param code The stable error code.
   * @param message What went wrong, for people.
   * @param options The underlying cause, if any.
   */
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ChatError";
    this.code = code;
  }
}

/** The error a request still waiting gets when its room or client closes. */
export function closedError(): ChatError {
  return new ChatError(
    "closed",
    "Cannot complete request: the room was left or its client closed",
  );
}
