/**
 * The `chat.v1` frames as a client sees them. The server's own definitions
 * (`server/protocol.ts`, `chat/events.ts`) are imported as types only, so
 * they are erased and the client stays free of server code at runtime.
 *
 * @module
 */
import type {
  ChatMessage as StoredMessage,
  PresenceEvent,
  ResetEvent,
} from "../chat/events.ts";
import type {
  ClientLimits,
  ClientMessage,
  ErrorCode as ServerErrorCode,
  ServerEvent,
} from "../server/protocol.ts";

export type {
  ClientLimits,
  PresenceEvent,
  ResetEvent,
  ServerErrorCode,
  StoredMessage,
};

/** The subprotocol the client asks for. */
export const PROTOCOL = "chat.v1";

/**
 * A chat message as every member of its room receives it. With signed-in
 * users the server adds who sent it: `userId`, and `guest` for guests.
 */
export interface ChatMessage extends StoredMessage {
  /** The sender's user id, when the server knows users. */
  userId?: string;
  /** `true` when the sender is a guest. */
  guest?: boolean;
}

/** The signed-in user the server names in `authenticated`. */
export interface AuthenticatedUser {
  /** Stable id, from the token's subject. */
  id: string;
  /** Display name. */
  name: string;
  /** What the host app says the user is (e.g. `"member"`, `"admin"`). */
  role: string;
  /** `true` for a guest without an account. */
  guest: boolean;
}

// TODO(identity): take the sign-in frames and codes from server/protocol.ts
// once it defines them; this is the contract it is being built to.
/** The server's answer to an `auth` frame. */
export interface AuthenticatedFrame {
  /** Always `"authenticated"`. */
  type: "authenticated";
  /** Who the token names. */
  user: AuthenticatedUser;
  /** When the token expires, in milliseconds since the Unix epoch. */
  expiresAt: number;
  /** The `auth` frame's nonce. */
  nonce?: string;
}

/** Why the server refused a request, or why the client gave up on it. */
export type ErrorCode =
  | ServerErrorCode
  /** The token was refused. */
  | "unauthorized"
  /** The token had expired. */
  | "token_expired"
  /** The connection dropped before the reply came. */
  | "disconnected"
  /** The client or the room was closed before the reply came. */
  | "closed";

/** The server's reply to a stored `send`. */
export interface Ack {
  /** The message's id in its room. */
  id: number;
  /** The room it was stored in. */
  room: string;
  /** Server time the message was stored, in milliseconds since the Unix epoch. */
  ts: number;
  /** `true` when the server had already stored this nonce: nothing new was posted. */
  duplicate: boolean;
  /** The nonce it was sent with. */
  nonce: string;
}

/** Every frame the server sends a `chat.v1` client. */
export type ServerFrame = ServerEvent | AuthenticatedFrame;

/** Every frame the client sends. */
export type ClientFrame = ClientMessage | {
  type: "auth";
  token: string;
  nonce: string;
};
