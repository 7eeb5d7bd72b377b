/**
 * The refusals of the `/ws` protocol: their stable codes, and the error that
 * carries one to the client's `error` frame. `protocol.ts` re-exports both.
 *
 * @module
 */

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
  | "too_many_connections"
  | "banned"
  | "not_found"
  | "edit_window_closed"
  | "too_many_edits";

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
