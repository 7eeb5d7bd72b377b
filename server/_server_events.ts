/**
 * The frames the server sends to a JSON-protocol client, and how several are
 * joined into one frame. `protocol.ts` re-exports them.
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
import type { JSON_PROTOCOL } from "./_connection_modes.ts";
import type { ErrorCode } from "./protocol_error.ts";

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
