/**
 * The message history interface: where messages are numbered and stored
 * before they are acknowledged. {@linkcode KvHistory} in `kv_history.ts`
 * implements it over Deno KV.
 *
 * @module
 */
import type { ChatMessage } from "./events.ts";

/** A message to store, before it has an id. */
export interface Draft {
  user: string;
  text: string;
  /** Client nonce: a draft whose (room, user, nonce) was stored recently is not stored again. */
  nonce?: string;
}

/** What storing one draft produced. */
export interface Stored {
  /** The stored message; for a duplicate, the one stored earlier. */
  message: ChatMessage;
  /** Whether the nonce matched an earlier message, so nothing new was stored. */
  duplicate: boolean;
}

/** A run of messages, oldest first. */
export interface HistoryPage {
  messages: ChatMessage[];
  /** Whether older messages exist before the first one. */
  hasMore: boolean;
  /**
   * For {@linkcode History.after}: retention deleted messages that followed
   * `since`, or `since` is beyond the room's last id (the history was reset).
   */
  truncated: boolean;
}

/** Storage of each room's messages, numbered in one order per room. */
export interface History extends AsyncDisposable {
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
  /** Every retained message of `room` with an id above `since`. */
  after(room: string, since: number): Promise<HistoryPage>;
  /** Up to `limit` messages of `room` with ids below `before`. */
  before(room: string, before: number, limit: number): Promise<HistoryPage>;
  /** Releases the store; idempotent. */
  close(): Promise<void>;
}
