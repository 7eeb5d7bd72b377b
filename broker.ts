/**
 * The message broker: rooms of subscribers, each with a bounded queue that an
 * async generator drains. {@linkcode Broker} is the interface the server sees;
 * {@linkcode MemoryBroker} serves one process.
 *
 * @module
 */
import { Room } from "./broker/_room.ts";
import { SlowConsumerError } from "./broker/_slow_consumer_error.ts";
import { Subscriber } from "./broker/_subscriber.ts";
import { WakeScheduler } from "./broker/_wake_scheduler.ts";

/** Default for {@linkcode SubscribeOptions.maxQueueLength}. */
export const DEFAULT_MAX_QUEUE_LENGTH = 1024;
/** What a subscription with a receiver yields when nothing is queued. */
const NOTHING_QUEUED: readonly never[] = Object.freeze([]);

/** Options for {@linkcode Broker.subscribe}. */
export interface SubscribeOptions<T = unknown> {
  /** Ends the subscription when aborted. */
  signal?: AbortSignal;
  /**
   * Messages that may wait for this subscriber; one more makes it a slow
   * consumer: its queue is dropped and its generator throws {@linkcode SlowConsumerError}.
   *
   * @default {1024}
   */
  maxQueueLength?: number;
  /**
   * Called at once when this subscriber is cut off as a slow consumer, so the
   * owner can act even while it is not waiting on the generator.
   */
  onSlowConsumer?: (error: SlowConsumerError) => void;
  /**
   * Messages this subscriber wants; others are not queued for it (e.g.
   * events a plain-text client never sees), so they cost it no queue slot and
   * no wake-up. A broker may ignore it: the subscriber must still cope with
   * messages it would have refused.
   *
   * @default {undefined (every message)}
   */
  accept?: (message: T) => boolean;
  /**
   * Takes batches directly. With a receiver, `next()` does not wait while
   * nothing is queued: it yields an empty batch, and from then on the broker
   * hands each turn's batch to `receiver.deliver()`, so an idle subscriber
   * holds no pending `next()` (an async generator parked in `next()`, and its
   * reader, hold promises and frames per subscription; resuming one costs
   * several promise hops per delivery). A refused batch is queued and
   * `receiver.resume()` says to read it with `next()` again. An object
   * rather than a function, so that a delivery reaches the receiver without
   * a closure in between. A broker may ignore it: the receiver must still
   * cope with a `next()` that waits.
   *
   * @default {undefined (only the generator)}
   */
  receiver?: BatchReceiver<T>;
}

/** Takes a subscription's batches directly; see {@linkcode SubscribeOptions.receiver}. */
export interface BatchReceiver<T> {
  /**
   * Takes `batch`, oldest first. The same array may go to every subscriber
   * of the room: the receiver neither changes nor keeps it. Returning
   * `false` refuses it: it is queued, and {@linkcode BatchReceiver.resume}
   * follows. Queue bounds and slow-consumer cut-off are unchanged.
   */
  deliver(batch: readonly T[]): boolean;
  /**
   * Says that messages wait in the subscription's queue (a refused batch,
   * and whatever follows it): read them with `next()`, until it yields an
   * empty batch again. Called during a delivery: the receiver must not
   * throw.
   */
  resume(): void;
}

/**
 * A subscription: each `next()` yields every message queued since the last
 * one, in publish order. A parked `next()` is woken once per event-loop turn,
 * after everything published in that turn is queued, so a burst arrives as
 * one batch while a lone message still arrives in the turn it was published.
 * With a receiver ({@linkcode SubscribeOptions.receiver}), `next()` with
 * nothing queued yields an empty batch instead of parking.
 */
export type Subscription<T> = AsyncGenerator<readonly T[], void, undefined>;

/** Publish/subscribe by room; implemented in memory here and over Redis or Deno KV elsewhere. */
export interface Broker<T> extends AsyncDisposable {
  /**
   * Delivers `message` to every current subscriber of `room`.
   *
   * @throws {BrokerClosedError} After {@linkcode Broker.close}.
   */
  publish(room: string, message: T): Promise<void>;
  /**
   * Subscribes to `room` at once (before the first `next()`), so nothing
   * published after this call is missed.
   *
   * @throws {BrokerClosedError} After {@linkcode Broker.close}.
   */
  subscribe(room: string, options?: SubscribeOptions<T>): Subscription<T>;
  /** Current subscribers of `room`, or of every room when omitted. */
  subscriberCount(room?: string): number;
  /**
   * Resolves once everything published to `room` from now on reaches the
   * subscriptions made so far. Brokers that deliver at once need not have
   * it; one that orders messages from other processes must know where the
   * room's log stands before a joiner reads the history.
   *
   * @throws When the broker cannot reach what it depends on.
   */
  ready?(room: string): Promise<void>;
  /** Rooms with at least one subscriber, for `/metrics`; optional. */
  roomCount?(): number;
  /** Ends every subscription; idempotent. */
  close(): Promise<void>;
}

/** Thrown when a closed broker is used. */
export class BrokerClosedError extends Error {
  /** Creates a BrokerClosedError. */
  constructor(message = "Cannot use broker: it is closed") {
    super(message);
    this.name = "BrokerClosedError";
  }
}

// Defined beside the subscribers that throw it, which must not import this
// module at run time.
export { SlowConsumerError };

/**
 * A broker for a single process: a set of subscribers per room, each with
 * its own bounded queue.
 *
 * @example Publish and receive
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryBroker } from "./broker.ts";
 *
 * await using broker = new MemoryBroker<string>();
 * const subscription = broker.subscribe("general");
 * await broker.publish("general", "hello");
 * const { value } = await subscription.next();
 * assert.deepEqual(value, ["hello"]);
 * await subscription.return();
 * assert.equal(broker.subscriberCount(), 0);
 * ```
 */
export class MemoryBroker<T> implements Broker<T> {
  #rooms = new Map<string, Room<T>>();
  #scheduler = new WakeScheduler();
  #closed = false;

  /** Delivers `message` to each subscriber of `room`; slow consumers are cut off, not waited for. */
  publish(room: string, message: T): Promise<void> {
    if (this.#closed) return Promise.reject(new BrokerClosedError());
    const failed = this.#rooms.get(room)?.publish(message);
    if (failed) { for (const subscriber of failed) subscriber.remove(); }
    return Promise.resolve();
  }

  /** Registers a subscriber of `room` now and returns the generator that drains its queue. */
  subscribe(room: string, options: SubscribeOptions<T> = {}): Subscription<T> {
    if (this.#closed) throw new BrokerClosedError();
    const { signal, maxQueueLength = DEFAULT_MAX_QUEUE_LENGTH } = options;
    signal?.throwIfAborted();
    let entry = this.#rooms.get(room);
    if (!entry) {
      this.#rooms.set(
        room,
        entry = new Room(room, this.#scheduler, this.#rooms),
      );
    }
    const subscriber = new Subscriber<T>(
      entry,
      maxQueueLength,
      options.onSlowConsumer,
      options.accept,
      options.receiver,
    );
    entry.add(subscriber);
    // The subscriber listens itself (handleEvent): no closures per subscription.
    signal?.addEventListener("abort", subscriber, { once: true });
    return this.#drain(subscriber, signal);
  }

  /** Current subscribers of `room`, or of every room when omitted. */
  subscriberCount(room?: string): number {
    if (room !== undefined) return this.#rooms.get(room)?.subscribers.size ?? 0;
    let count = 0;
    for (const entry of this.#rooms.values()) count += entry.subscribers.size;
    return count;
  }

  /** Rooms with at least one subscriber. */
  roomCount(): number {
    return this.#rooms.size;
  }

  /**
   * Waits until every current subscriber of `room` has room for `slots`
   * more messages (or for half its bound, when that is smaller), so that a
   * publisher with much to deliver (a catch-up) hands it over as fast as the
   * subscribers take it instead of overflowing their queues at once.
   * Subscribers that arrive meanwhile start empty and are not waited for.
   *
   * @param room The room.
   * @param slots Messages waiting to be published.
   * @param signal Stops waiting when aborted: a subscriber that takes nothing
   *   for that long is not waited for any more.
   * @returns How many may be published now: at most `slots`, fewer when a
   *   subscriber's queue has less room (stalled ones, still waited for when
   *   `signal` aborted, do not count).
   *
   * @example Waiting for a subscriber to take its queue
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryBroker } from "./broker.ts";
   *
   * await using broker = new MemoryBroker<number>();
   * const subscription = broker.subscribe("r", { maxQueueLength: 4 });
   * for (let i = 0; i < 4; i++) await broker.publish("r", i);
   * let free = 0;
   * const waited = broker.waitForRoom("r", 10).then((n) => free = n);
   * await subscription.next();
   * await waited;
   * assert.equal(free, 4);
   * await subscription.return();
   * ```
   */
  async waitForRoom(
    room: string,
    slots: number,
    signal?: AbortSignal,
  ): Promise<number> {
    const waiting = new Set(
      [...this.#rooms.get(room)?.subscribers ?? []].filter((subscriber) =>
        !subscriber.hasRoomFor(slots)
      ),
    );
    if (waiting.size > 0 && !signal?.aborted) {
      const { promise, resolve } = Promise.withResolvers<void>();
      const full = [...waiting];
      const done = () => {
        for (const subscriber of full) subscriber.onTaken = null;
        signal?.removeEventListener("abort", done);
        resolve();
      };
      for (const subscriber of full) {
        subscriber.onTaken = () => {
          if (!subscriber.hasRoomFor(slots)) return;
          waiting.delete(subscriber);
          subscriber.onTaken = null;
          if (waiting.size === 0) done();
        };
      }
      signal?.addEventListener("abort", done, { once: true });
      await promise;
    }
    // Those still waited for after the abort are stalled: the page is sized
    // for the others.
    let free = slots;
    for (const subscriber of this.#rooms.get(room)?.subscribers ?? []) {
      if (waiting.has(subscriber)) continue;
      free = Math.min(
        free,
        subscriber.maxQueueLength - subscriber.queue.length,
      );
    }
    return Math.max(free, 1);
  }

  /** Ends every subscription (their generators return) and refuses further use. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const entry of this.#rooms.values()) {
      for (const subscriber of entry.subscribers) subscriber.stop();
    }
    this.#rooms.clear();
    return Promise.resolve();
  }

  /** Same as {@linkcode MemoryBroker.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async *#drain(
    subscriber: Subscriber<T>,
    signal: AbortSignal | undefined,
  ): Subscription<T> {
    try {
      while (true) {
        if (subscriber.failure) throw subscriber.failure;
        if (subscriber.queue.length > 0) {
          const batch = subscriber.queue;
          subscriber.queue = [];
          subscriber.onTaken?.();
          yield batch;
          continue;
        }
        if (subscriber.ended) return;
        if (subscriber.receiver !== undefined) {
          // Nothing queued: the receiver takes batches directly until it
          // refuses one, and its reader need not wait in next().
          subscriber.room.enterDirect(subscriber);
          yield NOTHING_QUEUED;
          continue;
        }
        await subscriber.park();
      }
    } finally {
      signal?.removeEventListener("abort", subscriber);
      subscriber.remove();
    }
  }
}
