/**
 * The message history interface: where messages are numbered and stored
 * before they are acknowledged. `kv/history.ts` implements it over Deno KV,
 * `redis/history.ts` over Redis.
 *
 * A room's ids are numbered within an **epoch**, a random name the store
 * gives the room's sequence when it starts it. A store that lost the room's
 * log (a Redis restarted empty: the head vanished) starts the ids again
 * under a new epoch, and so does one found behind what was seen of it (ids
 * went backwards), so that an id from before the loss is never taken for
 * the message that now has it.
 *
 * @module
 */
import {
  type Amended,
  type Amendment,
  DEFAULT_MAX_EDITS,
} from "./amendments.ts";
import type { BusMetrics } from "./bus_metrics.ts";
import type { ChatMessage, LogEntry } from "./events.ts";

/** What every {@linkcode History} store keeps, for how long, and its clock. */
export interface HistoryStoreOptions {
  /**
   * Messages kept per room.
   *
   * @default {10000}
   */
  maxMessages?: number;
  /**
   * Milliseconds a message is kept; 0 for no age limit.
   *
   * @default {2592000000}
   */
  maxAgeMs?: number;
  /**
   * Milliseconds a nonce is remembered.
   *
   * @default {600000}
   */
  nonceTtlMs?: number;
  /**
   * Edits one message may have.
   *
   * @default {50}
   */
  maxEdits?: number;
  /**
   * Clock in milliseconds since the Unix epoch.
   *
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * Where stored entries that are not valid messages are counted; they are
   * skipped, never sent.
   *
   * @default {new BusMetrics()}
   */
  metrics?: BusMetrics;
}

/** {@linkcode HistoryStoreOptions} that every store applies, defaults filled in. */
export interface HistorySettings {
  /** Messages kept per room. */
  maxMessages: number;
  /** Milliseconds a message is kept; 0 for no age limit. */
  maxAgeMs: number;
  /** Milliseconds a nonce is remembered. */
  nonceTtlMs: number;
  /** Edits one message may have. */
  maxEdits: number;
  /** Clock in milliseconds since the Unix epoch. */
  now: () => number;
}

/**
 * Fills in the defaults of a store's options (all but `metrics`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { historySettings } from "./history.ts";
 *
 * const settings = historySettings({ maxMessages: 5 });
 * assert.equal(settings.maxMessages, 5);
 * assert.equal(settings.nonceTtlMs, 600_000);
 * ```
 */
export function historySettings(
  options: HistoryStoreOptions,
): HistorySettings {
  return {
    maxMessages: options.maxMessages ?? 10_000,
    maxAgeMs: options.maxAgeMs ?? 30 * 24 * 3600_000,
    nonceTtlMs: options.nonceTtlMs ?? 600_000,
    maxEdits: options.maxEdits ?? DEFAULT_MAX_EDITS,
    now: options.now ?? Date.now,
  };
}

/** A message to store, before it has an id. */
export interface Draft {
  /** The author's user id. */
  userId: string;
  /** The author's display name. */
  user: string;
  /** Whether the author is a guest. */
  guest?: boolean;
  /** Whether the host application's backend posts it, as a bot or the system. */
  bot?: boolean;
  text: string;
  /** Client nonce: a draft whose (room, user id, nonce) was stored recently is not stored again. */
  nonce?: string;
}

/**
 * The message a draft becomes once the store has numbered and timed it.
 *
 * @param room The room it was stored in.
 * @param id Its id.
 * @param ts Milliseconds since the Unix epoch.
 * @param draft The author and text.
 * @returns The message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { messageOf } from "./history.ts";
 *
 * const message = messageOf("r", 1, 0, { userId: "u1", user: "Ada", text: "hi", guest: true });
 * assert.equal(message.userId, "u1");
 * assert.equal(message.guest, true);
 * ```
 */
export function messageOf(
  room: string,
  id: number,
  ts: number,
  draft: Draft,
): ChatMessage {
  const message: ChatMessage = {
    type: "message",
    id,
    room,
    ts,
    user: draft.user,
    userId: draft.userId,
    text: draft.text,
  };
  if (draft.guest) message.guest = true;
  if (draft.bot) message.bot = true;
  return message;
}

/** What storing one draft produced. */
export interface Stored {
  /** The stored message; for a duplicate, the one stored earlier. */
  message: ChatMessage;
  /** Whether the nonce matched an earlier message, so nothing new was stored. */
  duplicate: boolean;
  /** The epoch the message's id belongs to. */
  epoch: string;
}

/** Where a room's log stands: its epoch and its last id. */
export interface RoomPosition {
  /** The epoch the room's ids belong to. */
  epoch: string;
  /** The room's last id in that epoch, 0 before its first message. */
  head: number;
}

/**
 * A run of the log, oldest first, for a client: messages in their current
 * state, or, for {@linkcode History.resume}, entries of every kind.
 */
export interface HistoryPage<E extends LogEntry = LogEntry> {
  messages: E[];
  /**
   * Whether older messages exist before the first one, which
   * {@linkcode History.before} with the first id returns; for
   * {@linkcode History.resume}, older ones after `since`.
   */
  hasMore: boolean;
  /**
   * For {@linkcode History.resume}: retention deleted messages that followed
   * `since`, or `since` is beyond the room's last id (the history was reset).
   */
  truncated: boolean;
  /** The epoch the messages' ids belong to. */
  epoch: string;
}

/** A run of the log read forward from an id, for catching up. */
export interface LogPage {
  /** Retained entries (messages, edits, deletions) after the id asked for, oldest first. */
  entries: LogEntry[];
  /** The room's last id when the page was read: no message above it was stored then. */
  head: number;
  /**
   * The highest id the read passed, `since` when none: entries that were not
   * valid, or too old, are passed over and not read again.
   */
  through: number;
  /** The epoch the ids belong to. */
  epoch: string;
}

/** The room's stored log as a broker reads it to deliver what the bus missed. */
export interface RoomLog {
  /**
   * Where the room's log stands; starts the room's epoch if it has none.
   * With `seen`, where the caller saw the log last: a head below it in the
   * same epoch means the store lost messages (ids went backwards), and the
   * store starts a new epoch.
   */
  position(room: string, seen?: RoomPosition): Promise<RoomPosition>;
  /** Up to `limit` retained entries of `room` with ids above `since`, oldest first. */
  after(room: string, since: number, limit: number): Promise<LogPage>;
}

/**
 * Storage of each room's log, numbered in one order per room: messages, and
 * the edits and deletions of messages, each an entry with an id of its own.
 * A message's record always holds its current state, which
 * {@linkcode History.latest} and {@linkcode History.before} list; the
 * entries of every kind are what {@linkcode History.resume} and
 * {@linkcode RoomLog.after} read, so whoever catches up gets each change once,
 * in order.
 */
export interface History extends RoomLog, AsyncDisposable {
  /**
   * Stores `drafts` in one write, numbering them in order after the room's
   * last id. Ids are unique and increase within the room, also when several
   * processes share the store.
   *
   * @throws When the store cannot be written: nothing of the batch was stored.
   */
  append(room: string, drafts: readonly Draft[]): Promise<Stored[]>;
  /**
   * Stores an edit or a deletion of a message as the room's next entry and,
   * in the same atomic write, rewrites the message's record: its new text,
   * or a tombstone (and the text of its earlier edits scrubbed), so no copy
   * of a deleted text stays stored. A nonce already stored for the user in
   * the room returns the original entry.
   *
   * @throws {AmendmentRefusedError} When the message is not kept, already
   *   deleted, or edited the most times allowed; nothing was stored.
   * @throws When the store cannot be written: nothing was stored.
   */
  amend(room: string, amendment: Amendment): Promise<Amended>;
  /** The current state of message `id` of `room`, tombstone included; `undefined` when not kept. */
  message(room: string, id: number): Promise<ChatMessage | undefined>;
  /** The latest `limit` messages of `room`. */
  latest(room: string, limit: number): Promise<HistoryPage<ChatMessage>>;
  /**
   * What a client that has every entry up to `since` missed: the latest
   * `limit` retained entries of every kind above `since` (and below
   * `before`, when given). `hasMore` says older ones above `since` remain:
   * the same call with `before` set to the first id returns them.
   */
  resume(
    room: string,
    since: number,
    limit: number,
    before?: number,
  ): Promise<HistoryPage>;
  /** Up to `limit` messages of `room` with ids below `before`. */
  before(
    room: string,
    before: number,
    limit: number,
  ): Promise<HistoryPage<ChatMessage>>;
  /** Releases the store; idempotent. */
  close(): Promise<void>;
}

/**
 * A fresh epoch name: random, so that a store that lost everything cannot
 * hand out one it used before.
 *
 * @returns 12 hexadecimal digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newEpoch } from "./history.ts";
 *
 * assert.match(newEpoch(), /^[0-9a-f]{12}$/);
 * assert.notEqual(newEpoch(), newEpoch());
 * ```
 */
export function newEpoch(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 12);
}
