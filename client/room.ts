/**
 * A room the client is in: its events, its members, sending and history.
 * `ChatClient.join()` returns one.
 *
 * @module
 */
import type { IterateOptions } from "./_events.ts";
import type { OutboxEntry } from "./outbox.ts";
import type {
  Ack,
  ChatMessage,
  DeleteEvent,
  EditEvent,
  Member,
  Moderated,
  PresenceEvent,
  ResetEvent,
  TypingEvent,
} from "./types.ts";

export type { IterateOptions };

/**
 * The room was joined, or joined again after a reconnect. The messages that
 * follow continue where the last ones left off when `resumed` is `true`;
 * otherwise the room starts over: drop what you show of it, the latest
 * messages follow, and {@linkcode Room.history} pages in older ones.
 */
export interface JoinedEvent {
  /** Always `"joined"`. */
  type: "joined";
  /** The room's name. */
  room: string;
  /** `true` when nothing was missed and nothing will repeat since the last message. */
  resumed: boolean;
  /**
   * `true` when messages after the last one delivered were deleted by
   * retention before the client came back, or lie further back than it
   * catches up on by itself (`catchUpLimit`): the room starts over.
   */
  truncated: boolean;
  /** Users present, sorted by name (in a large room, a sample). */
  members: readonly Member[];
  /** How many users are present. */
  memberCount: number;
  /** The room's epoch: the sequence its message ids belong to. */
  epoch: string;
}

/** A message waiting in the outbox, in the order it was written. */
export interface PendingMessage extends OutboxEntry {
  /** `sending` once written to the socket, `waiting` before (offline, paced, or retrying). */
  status: "waiting" | "sending";
}

/** The room's list of unacknowledged messages changed. */
export interface PendingEvent {
  /** Always `"pending"`. */
  type: "pending";
  /** The room's name. */
  room: string;
  /** The messages now waiting, oldest first. */
  pending: readonly PendingMessage[];
}

/**
 * The room ended: the server confirmed a `leave()`, or took the user out
 * (`reason`); the room delivers nothing more.
 */
export interface LeftEvent {
  /** Always `"left"`. */
  type: "left";
  /** The room's name. */
  room: string;
  /**
   * Why the server took the user out, when they did not leave:
   * `forbidden` (their new token no longer opens the room), `banned` or
   * `kicked` by a moderator.
   */
  reason?: "forbidden" | "banned" | "kicked";
}

/**
 * What a room reports: `joined` (also after each reconnect); each entry of
 * its log once and in id order: a `message`, an `edit` (message `target`
 * has a new text) or a `delete` (message `target` is taken back);
 * `presence` changes, `typing`, `reset` (the server lost the room's history:
 * drop what you have; its new messages follow), `pending` when the outbox
 * changes, and `left` at the end.
 */
export type RoomEvent =
  | JoinedEvent
  | ChatMessage
  | EditEvent
  | DeleteEvent
  | PresenceEvent
  | TypingEvent
  | ResetEvent
  | PendingEvent
  | LeftEvent;

/** Options for {@linkcode Room.history}. */
export interface HistoryOptions {
  /**
   * The page ends just before this message id.
   *
   * @default {"the oldest message the room delivered since it last started over"}
   */
  before?: number;
  /**
   * Most messages in the page.
   *
   * @default {"the server's historyLimit"}
   */
  limit?: number;
}

/** Older messages, oldest first, each in its current state (edited, or a deleted tombstone). */
export interface HistoryPage {
  /** The page's messages, oldest first. */
  messages: ChatMessage[];
  /** Whether older messages remain. */
  hasMore: boolean;
}

/** Where a room stands. */
export type RoomStatus = "joining" | "joined" | "left";

/**
 * One room of a `ChatClient`. Listeners (`on`) and iterators
 * (`events()`, `for await`) see events from when they are added: add them
 * right after `join()`, before awaiting anything, to see the first ones.
 */
export interface Room extends AsyncIterable<RoomEvent>, Disposable {
  /** The room's name, folded to lower case as the server does (a direct room's is kept). */
  readonly name: string;
  /** `joining` until the server confirms (and while reconnecting), `left` at the end. */
  readonly status: RoomStatus;
  /** Settles at the first `joined`; rejects with a `ChatError` when the server refuses the room. */
  readonly ready: Promise<void>;
  /** Users present, sorted by name (in a large room, a sample). */
  readonly members: readonly Member[];
  /** How many users are present. */
  readonly memberCount: number;
  /** The room's epoch, `""` before it is joined. */
  readonly epoch: string;
  /** The id of the last message delivered, 0 for none. */
  readonly lastId: number;
  /** Whether older messages than the oldest delivered exist. */
  readonly hasMore: boolean;
  /** Messages sent from here or found in the outbox, not yet acknowledged. */
  readonly pending: readonly PendingMessage[];

  /**
   * Calls `listener` with each event of `type` from now on.
   *
   * @returns A function that removes the listener.
   */
  on<T extends RoomEvent["type"]>(
    type: T,
    listener: (event: Extract<RoomEvent, { type: T }>) => void,
  ): () => void;

  /**
   * The room's events from now on, until it is left, the client closes, or
   * `signal` aborts. Throws the `ChatError` that ended a refused room.
   */
  events(options?: IterateOptions): AsyncGenerator<RoomEvent, void, undefined>;

  /**
   * Sends a message. It goes into the outbox first, and is written (again,
   * with the same nonce, after every reconnect) until the server stores it.
   *
   * @returns The `ack`; rejects with a `ChatError` the server refused it
   * for good (`message_too_large`, `bad_request`), or `closed`.
   */
  send(text: string): Promise<Ack>;

  /**
   * Changes the text of a message of the user's (a moderator's too, via the
   * server API): every member receives an `edit`.
   *
   * @param id The message's id.
   * @param text The new text.
   * @returns The `ack`, whose `id` is the edit's own; rejects with a
   * `ChatError` (`forbidden`, `edit_window_closed`, `not_found`,
   * `too_many_edits`, `message_too_large`; `disconnected` when offline).
   */
  edit(id: number, text: string): Promise<Ack>;

  /**
   * Takes back a message of the user's, or anyone's for a moderator: every
   * member receives a `delete`, and the server keeps no copy of the text.
   *
   * @param id The message's id.
   * @returns The `ack`, whose `id` is the deletion's own; rejects as `edit`.
   */
  delete(id: number): Promise<Ack>;

  /**
   * Tells the other members the user is typing. Call it on every keystroke:
   * it is written at most once per the server's `typingInterval`, and not
   * at all while offline.
   */
  typing(): void;

  /**
   * Bans a user from the room (moderators and admins): their connections
   * leave it and they cannot join again until the ban ends.
   *
   * @param userId The user's id.
   * @param options `duration` in seconds (none: until lifted), and a `reason` for the record.
   * @returns What the server did; rejects with a `ChatError` (`forbidden`).
   */
  ban(
    userId: string,
    options?: { duration?: number; reason?: string },
  ): Promise<Moderated>;

  /**
   * Lifts a user's ban from the room (moderators and admins).
   *
   * @returns What the server did; rejects with `not_found` when there was no ban.
   */
  unban(userId: string): Promise<Moderated>;

  /**
   * Takes a user's connections out of the room now; they may join again
   * (moderators and admins).
   *
   * @returns What the server did; rejects with a `ChatError` (`forbidden`).
   */
  kick(userId: string, options?: { reason?: string }): Promise<Moderated>;

  /**
   * Reads a page of older messages.
   *
   * @returns The page; empty when it belongs to an epoch the room no longer has.
   */
  history(options?: HistoryOptions): Promise<HistoryPage>;

  /** Leaves the room; resolves once the server confirms (at once when offline). */
  leave(): Promise<void>;
}
