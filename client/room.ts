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
  Member,
  PresenceEvent,
  ResetEvent,
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
 * What a room reports: `joined` (also after each reconnect), each
 * `message` once and in id order, `presence` changes, `reset` (the server
 * lost the room's history: drop what you have; its new messages follow),
 * and `pending` when the outbox changes.
 */
export type RoomEvent =
  | JoinedEvent
  | ChatMessage
  | PresenceEvent
  | ResetEvent
  | PendingEvent;

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

/** Older messages, oldest first. */
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
  /** The room's name, folded to lower case as the server does. */
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
   * Reads a page of older messages.
   *
   * @returns The page; empty when it belongs to an epoch the room no longer has.
   */
  history(options?: HistoryOptions): Promise<HistoryPage>;

  /** Leaves the room; resolves once the server confirms (at once when offline). */
  leave(): Promise<void>;
}
