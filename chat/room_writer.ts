/**
 * Store, then publish, one room at a time: each room's writes wait in one
 * queue, so its entries are published in the order of their ids. Messages
 * are stored in batches (group commit: while one commit is in flight, the
 * next batch gathers, and with a commit window a batch also waits that long
 * for more); an edit or a deletion is stored alone, in its turn.
 *
 * @module
 */
import { setTimeout as delay } from "node:timers/promises";
import type { Broker } from "../broker.ts";
import type { Amended, Amendment } from "./amendments.ts";
import { type Broadcast, broadcastOf, type LogEntry } from "./events.ts";
import type { Draft, History, Stored } from "./history.ts";
import { log } from "../observability/log.ts";

/** Messages stored in one commit at most; more wait for the next. */
const MAX_BATCH_MESSAGES = 100;
/** Text bytes stored in one commit at most (a Deno KV commit holds 800 KB). */
const MAX_BATCH_CHARS = 256 * 1024;

/** A write waiting in its room's queue. */
type Pending =
  | {
    draft: Draft;
    resolve: (stored: Stored) => void;
    reject: (error: unknown) => void;
  }
  | {
    amendment: Amendment;
    resolve: (amended: Amended) => void;
    reject: (error: unknown) => void;
  };

/** A pending message, as {@linkcode takeBatch} takes them. */
type PendingDraft = Extract<Pending, { draft: Draft }>;

/** Options for {@linkcode RoomWriter}. */
export interface RoomWriterOptions {
  /**
   * Milliseconds a room's next batch of messages waits for more before its
   * commit, unless it is full: fewer commits (and, in `chat.v1`, fewer
   * frames) per message under load, for that much more latency. 0 commits
   * at once, gathering only what arrives while the previous commit is in
   * flight.
   *
   * @default {0}
   */
  commitWindowMs?: number;
}

/** Stores each room's entries in one queue and publishes them in id order. */
export class RoomWriter {
  #broker: Broker<Broadcast>;
  #history: History;
  #commitWindowMs: number;
  #queues = new Map<string, Pending[]>();

  /** Writes to `history`, then publishes to `broker`. */
  constructor(
    broker: Broker<Broadcast>,
    history: History,
    options: RoomWriterOptions = {},
  ) {
    this.#broker = broker;
    this.#history = history;
    this.#commitWindowMs = options.commitWindowMs ?? 0;
  }

  /**
   * Stores a message in the room's next batch, then publishes it.
   *
   * @param room Target room.
   * @param draft The sender, text and optional nonce.
   * @returns The stored message; `duplicate` when the nonce was seen, and then nothing is published.
   * @throws When the history cannot store it: the message was not posted.
   */
  post(room: string, draft: Draft): Promise<Stored> {
    const pending = Promise.withResolvers<Stored>();
    this.#enqueue(room, { draft, ...pending });
    return pending.promise;
  }

  /**
   * Stores an edit or a deletion in its turn, then publishes it.
   *
   * @param room The message's room.
   * @param amendment What changes, who changes it, and an optional nonce.
   * @returns The stored entry; `duplicate` when the nonce was seen, and then nothing is published.
   * @throws {AmendmentRefusedError} When the message can no longer be changed.
   * @throws When the history cannot store it: nothing changed.
   */
  amend(room: string, amendment: Amendment): Promise<Amended> {
    const pending = Promise.withResolvers<Amended>();
    this.#enqueue(room, { amendment, ...pending });
    return pending.promise;
  }

  #enqueue(room: string, pending: Pending): void {
    let queue = this.#queues.get(room);
    const idle = queue === undefined;
    if (!queue) this.#queues.set(room, queue = []);
    queue.push(pending);
    if (idle) this.#drain(room, queue);
  }

  /** Stores and publishes the room's queued writes, in turn, until none are left. */
  async #drain(room: string, queue: Pending[]): Promise<void> {
    while (queue.length > 0) {
      const next = queue[0]!;
      if ("amendment" in next) {
        queue.shift();
        await this.#amend(room, next);
      } else {
        if (this.#commitWindowMs > 0 && queue.length < MAX_BATCH_MESSAGES) {
          await delay(this.#commitWindowMs);
        }
        await this.#append(room, takeBatch(queue));
      }
    }
    this.#queues.delete(room);
  }

  async #append(room: string, batch: PendingDraft[]): Promise<void> {
    let stored: Stored[];
    try {
      stored = await this.#history.append(
        room,
        batch.map((pending) => pending.draft),
      );
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const result = stored[i]!;
      if (!result.duplicate) {
        await this.#publish(room, result.message, result.epoch);
      }
      batch[i]!.resolve(result);
    }
  }

  async #amend(
    room: string,
    pending: Extract<Pending, { amendment: Amendment }>,
  ): Promise<void> {
    let amended: Amended;
    try {
      amended = await this.#history.amend(room, pending.amendment);
    } catch (error) {
      pending.reject(error);
      return;
    }
    if (!amended.duplicate) {
      await this.#publish(room, amended.entry, amended.epoch);
    }
    pending.resolve(amended);
  }

  /** Publishes a stored entry; a failure here loses nothing, as late joiners read it from history. */
  async #publish(room: string, entry: LogEntry, epoch: string): Promise<void> {
    try {
      await this.#broker.publish(room, broadcastOf(entry, epoch));
    } catch (error) {
      // Stored is what the ack promises; members catch up with `since`.
      log("warn", "broker.publish_failed", { room, id: entry.id, error });
    }
  }
}

/** The next batch of messages at the queue's head: up to the first amendment, within the bounds. */
function takeBatch(queue: Pending[]): PendingDraft[] {
  let count = 0;
  let chars = 0;
  while (count < queue.length && count < MAX_BATCH_MESSAGES) {
    const next = queue[count]!;
    if (!("draft" in next)) break;
    const length = next.draft.text.length;
    if (count > 0 && chars + length > MAX_BATCH_CHARS) break;
    chars += length;
    count++;
  }
  return queue.splice(0, count) as PendingDraft[];
}
