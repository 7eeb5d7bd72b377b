/**
 * The `chat.v1` frames as a client sees them. The server's own definitions
 * (`server/protocol.ts`, `chat/events.ts`) are imported as types only, so
 * they are erased and the client stays free of server code at runtime.
 *
 * @module
 */
import type {
  Author,
  ChatMessage,
  DeleteEvent,
  EditEvent,
  LogEntry,
  Member,
  PresenceEvent,
  ResetEvent,
  TypingEvent,
} from "../chat/events.ts";
import type { RoomInfo } from "../chat/directory.ts";
import type {
  ClientLimits,
  ClientMessage,
  ErrorCode as ServerErrorCode,
  ModeratedEvent,
  ServerEvent,
  UserInfo,
} from "../server/protocol.ts";

export type {
  Author,
  ChatMessage,
  ClientLimits,
  DeleteEvent,
  EditEvent,
  LogEntry,
  Member,
  ModeratedEvent,
  PresenceEvent,
  ResetEvent,
  RoomInfo,
  ServerErrorCode,
  TypingEvent,
};

/** The subprotocol the client asks for. */
export const PROTOCOL = "chat.v1";

/** Who the server takes the connection to be, as `authenticated` says. */
export type AuthenticatedUser = UserInfo;

/** The server's answer to an `auth` frame. */
export type AuthenticatedFrame = Extract<
  ServerEvent,
  { type: "authenticated" }
>;

/** Why the server refused a request, or why the client gave up on it. */
export type ErrorCode =
  | ServerErrorCode
  /** The connection dropped before the reply came. */
  | "disconnected"
  /** The client or the room was closed before the reply came. */
  | "closed"
  /** The host application ended the user's connections (close code 4410). */
  | "signed_out";

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

/** A moderator's `ban`, `unban` or `kick`, as the server confirms it. */
export type Moderated = Omit<ModeratedEvent, "type" | "nonce">;

/** Every frame the server sends a `chat.v1` client. */
export type ServerFrame = ServerEvent;

/** Every frame the client sends. */
export type ClientFrame = ClientMessage;
