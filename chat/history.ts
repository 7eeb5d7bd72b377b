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
import { type ChatMessage, utf8Length } from "./events.ts";

/** A message to store, before it has an id. */
export interface Draft {
  /** The author's user id. */
  userId: string;
  /** The author's display name. */
  user: string;
  /** Whether the author is a guest. */
  guest?: boolean;
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

/** A run of messages, oldest first, for a client. */
export interface HistoryPage {
  messages: ChatMessage[];
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
  /** Retained messages after the id asked for, oldest first. */
  messages: ChatMessage[];
  /** The room's last id when the page was read: no message above it was stored then. */
  head: number;
  /**
   * The highest id the read passed, `since` when none: entries that were not
   * valid messages, or too old, are passed over and not read again.
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
  /** Up to `limit` retained messages of `room` with ids above `since`, oldest first. */
  after(room: string, since: number, limit: number): Promise<LogPage>;
}

/** Storage of each room's messages, numbered in one order per room. */
export interface History extends RoomLog, AsyncDisposable {
  /**
   * Stores `drafts` in one write, numbering them in order after the room's
   * last id. Ids are unique and increase within the room, also when several
   * processes share the store.
   *
   * @throws When the store cannot be written: nothing of the batch was stored.
   */
  append(room: string, drafts: readonly Draft[]): Promise<Stored[]>;
  /** The latest `limit` messages of `room`. */
  latest(room: string, limit: number): Promise<HistoryPage>;
  /**
   * What a client that has every message up to `since` missed: the latest
   * `limit` retained messages above `since`. `hasMore` says older ones above
   * `since` remain, for {@linkcode History.before} to page back to `since`.
   */
  resume(room: string, since: number, limit: number): Promise<HistoryPage>;
  /** Up to `limit` messages of `room` with ids below `before`. */
  before(room: string, before: number, limit: number): Promise<HistoryPage>;
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

/**
 * Whether a resume after `since` cannot be complete: the oldest message
 * still kept after it does not follow it, or, with none kept, the head is
 * not `since` (beyond it: messages were deleted; before it: the history was
 * reset and ids start again).
 *
 * @param since The last id the client has.
 * @param oldest The oldest message kept after `since`, if any.
 * @param head The room's last id.
 * @returns Whether messages after `since` are missing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { missesMessages } from "./history.ts";
 *
 * assert.equal(missesMessages(4, { id: 5 }, 9), false);
 * assert.equal(missesMessages(4, { id: 7 }, 9), true);
 * assert.equal(missesMessages(9, undefined, 9), false);
 * assert.equal(missesMessages(12, undefined, 9), true);
 * ```
 */
export function missesMessages(
  since: number,
  oldest: Pick<ChatMessage, "id"> | undefined,
  head: number,
): boolean {
  return oldest === undefined ? head !== since : oldest.id > since + 1;
}

/**
 * Makes a page of messages read newest first: the first `limit` of them
 * younger than `oldestKeptTs`, oldest first, and whether one more follows.
 *
 * @param newestFirst Up to `limit + 1` messages, newest first.
 * @param limit Most messages in the page.
 * @param oldestKeptTs Messages older than this are expired, and so are all before them.
 * @param epoch The epoch the messages belong to.
 * @returns The page (`truncated` is `false`: only a resume can be).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pageOf } from "./history.ts";
 *
 * const message = (id: number, ts: number) => ({ type: "message" as const, id, room: "r", ts, user: "u", text: "" });
 * const page = pageOf([message(3, 30), message(2, 20), message(1, 10)], 2, 0, "e");
 * assert.deepEqual(page.messages.map((m) => m.id), [2, 3]);
 * assert.equal(page.hasMore, true);
 * assert.equal(pageOf([message(3, 30), message(2, 20), message(1, 10)], 2, 25, "e").hasMore, false);
 * ```
 */
export function pageOf(
  newestFirst: readonly ChatMessage[],
  limit: number,
  oldestKeptTs: number,
  epoch: string,
): HistoryPage {
  const messages: ChatMessage[] = [];
  let hasMore = false;
  for (const message of newestFirst) {
    if (message.ts < oldestKeptTs) break;
    if (messages.length === limit) {
      hasMore = true;
      break;
    }
    messages.push(message);
  }
  return { messages: messages.reverse(), hasMore, truncated: false, epoch };
}

/**
 * Keeps a page within `maxBytes` of message JSON: drops its oldest messages
 * (at least one stays) and says `hasMore`, since those remain before the
 * first one kept.
 *
 * @param page A page, oldest first.
 * @param maxBytes Most UTF-8 bytes of its messages' JSON.
 * @returns The page, or a shorter one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitPage } from "./history.ts";
 *
 * const message = (id: number) => ({ type: "message" as const, id, room: "r", ts: 0, user: "u", text: "x".repeat(100) });
 * const page = { messages: [message(1), message(2), message(3)], hasMore: false, truncated: false, epoch: "e" };
 * const fitted = fitPage(page, 300);
 * assert.deepEqual(fitted.messages.map((m) => m.id), [3]);
 * assert.equal(fitted.hasMore, true);
 * ```
 */
export function fitPage(page: HistoryPage, maxBytes: number): HistoryPage {
  let bytes = 0;
  let first = page.messages.length;
  while (first > 0) {
    bytes += utf8Length(JSON.stringify(page.messages[first - 1]));
    if (bytes > maxBytes && first < page.messages.length) break;
    first--;
  }
  if (first === 0) return page;
  return { ...page, messages: page.messages.slice(first), hasMore: true };
}
