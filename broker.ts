/**
 * The message broker: rooms of subscribers, each with a bounded queue that an
 * async generator drains. {@linkcode Broker} is the interface the server sees;
 * {@linkcode MemoryBroker} serves one process.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/** Default for {@linkcode SubscribeOptions.maxQueueLength}. */
export const DEFAULT_MAX_QUEUE_LENGTH = 1024;
/**
 * Share of the queue bound at which a parked subscriber is woken at once
 * rather than at the end of the turn. A turn can outlast many publishes: when
 * the store answers quickly, Deno resolves several commits before it runs the
 * turn's `setImmediate`, and a queue must not reach its bound (and be cut off
 * as a slow consumer) only because its wake-up was deferred.
 */
const EAGER_WAKE_FRACTION = 0.25;
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

/** Thrown by a subscription whose queue overflowed because it did not keep up. */
export class SlowConsumerError extends Error {
  /** Creates a SlowConsumerError naming the queue bound. */
  constructor(maxQueueLength: number) {
    super(`Cannot deliver message: subscriber queue exceeds ${maxQueueLength}`);
    this.name = "SlowConsumerError";
  }
}

/** What {@linkcode WakeScheduler} wakes: a parked subscriber, or a room's batch. */
interface Wakeable {
  wakeUp(): void;
}

/**
 * Wakes parked subscribers together once per event-loop turn. Waking each at
 * its first publish would hand its sender one message per wake-up, so a burst
 * stored by one commit would leave as many frames; waking them after the turn
 * (`setImmediate` runs once the microtasks of the turn are done, before the
 * next I/O poll) coalesces the burst with no timer and no added delay. One
 * per broker, not one per subscriber, so a publish to 1,000 subscribers
 * schedules one callback.
 */
class WakeScheduler {
  #woken: Wakeable[] = [];
  #scheduled = false;

  /** Wakes `woken` at the end of this turn. */
  add(woken: Wakeable): void {
    this.#woken.push(woken);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#flush);
  }

  #flush = (): void => {
    this.#scheduled = false;
    const woken = this.#woken;
    this.#woken = [];
    for (const each of woken) each.wakeUp();
  };
}

/**
 * One room's subscribers. Those parked with an empty queue and a receiver
 * (direct subscribers, the common case) queue nothing: the room gathers the
 * turn's messages once, and at the end of the turn hands that one batch to
 * each of them, so a delivery costs a call and no allocation.
 */
class Room<T> implements Wakeable {
  readonly subscribers = new Set<Subscriber<T>>();
  /** Messages published this turn for the direct subscribers; `null` when none. */
  #pending: T[] | null = null;
  /** Direct subscribers now. */
  #direct = 0;
  /** Length of the batch at which it is handed over at once. */
  #eagerAt = Infinity;
  #scheduled = false;

  constructor(
    readonly name: string,
    readonly scheduler: WakeScheduler,
    /** The broker's rooms, which the room leaves when its last subscriber goes. */
    readonly rooms: Map<string, Room<T>>,
  ) {}

  /** Adds `subscriber`, whose queue bound may lower the eager hand-over. */
  add(subscriber: Subscriber<T>): void {
    this.subscribers.add(subscriber);
    this.#eagerAt = Math.min(
      this.#eagerAt,
      Math.max(1, Math.floor(subscriber.maxQueueLength * EAGER_WAKE_FRACTION)),
    );
  }

  /** Queues `message` for every subscriber; returns those cut off as slow consumers. */
  publish(message: T): Subscriber<T>[] | undefined {
    let failed: Subscriber<T>[] | undefined;
    for (const subscriber of this.subscribers) {
      if (subscriber.direct) continue;
      if (!subscriber.push(message)) (failed ??= []).push(subscriber);
    }
    if (this.#direct === 0) return failed;
    const pending = this.#pending ??= [];
    pending.push(message);
    if (pending.length >= this.#eagerAt) this.wakeUp();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      this.scheduler.add(this);
    }
    return failed;
  }

  /**
   * Makes a subscriber with a receiver and nothing queued direct: it takes
   * its part of this turn's batch from what is published from now on.
   */
  enterDirect(subscriber: Subscriber<T>): void {
    subscriber.direct = true;
    subscriber.startAt = this.#pending?.length ?? 0;
    this.#direct++;
  }

  /** Makes a direct subscriber queue again (it ended, or refused a batch). */
  leaveDirect(subscriber: Subscriber<T>): void {
    if (!subscriber.direct) return;
    subscriber.direct = false;
    this.#direct--;
  }

  /** Hands the turn's batch to every direct subscriber; a refused one queues it. */
  wakeUp(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    if (batch === null) return;
    this.#pending = null;
    for (const subscriber of this.subscribers) {
      if (!subscriber.direct) continue;
      const start = subscriber.startAt;
      subscriber.startAt = 0;
      if (start >= batch.length) continue;
      const part = start === 0 ? batch : batch.slice(start);
      if (subscriber.receiver!.deliver(part)) continue;
      // Ended meanwhile (a delivery may close the connection): nothing to queue.
      if (subscriber.ended) continue;
      this.leaveDirect(subscriber);
      subscriber.takeBack(part);
      if (!subscriber.ended) subscriber.receiver!.resume();
    }
  }
}

class Subscriber<T> implements Wakeable {
  queue: T[] = [];
  wake: PromiseWithResolvers<void> | null = null;
  failure: Error | null = null;
  ended = false;
  /** Whether a wake-up is already scheduled for this turn. */
  scheduled = false;
  /** Whether it takes its room's batches directly (see {@linkcode Room}). */
  direct = false;
  /** Where its part of the room's batch starts: it became direct mid-turn. */
  startAt = 0;
  /** Called whenever the queue was taken or the subscriber ended, while someone waits for room. */
  onTaken: (() => void) | null = null;

  constructor(
    readonly room: Room<T>,
    readonly maxQueueLength: number,
    readonly onSlowConsumer?: (error: SlowConsumerError) => void,
    readonly accept?: (message: T) => boolean,
    readonly receiver?: BatchReceiver<T>,
  ) {}

  /** Queues `message`; returns false when the queue overflowed and the subscriber failed. */
  push(message: T): boolean {
    if (this.accept !== undefined && !this.accept(message)) return true;
    if (this.queue.length >= this.maxQueueLength) {
      const error = new SlowConsumerError(this.maxQueueLength);
      this.stop(error);
      this.onSlowConsumer?.(error);
      return false;
    }
    this.queue.push(message);
    if (this.wake === null) return true;
    if (this.queue.length >= this.maxQueueLength * EAGER_WAKE_FRACTION) {
      this.wakeUp();
    } else if (!this.scheduled) {
      this.scheduled = true;
      this.room.scheduler.add(this);
    }
    return true;
  }

  /** Parks the generator (one without a receiver) until something arrives. */
  park(): Promise<void> {
    this.wake = Promise.withResolvers<void>();
    return this.wake.promise;
  }

  /** Queues a batch its receiver refused, for the next `next()` to yield. */
  takeBack(batch: readonly T[]): void {
    for (const message of batch) {
      if (!this.push(message)) return;
    }
  }

  /** Its signal aborted: ends it and takes it out of its room (`EventListener`). */
  handleEvent(): void {
    this.remove();
  }

  /** Ends it and takes it out of its room, which goes when left empty; idempotent. */
  remove(): void {
    this.stop();
    const { room } = this;
    if (!room.subscribers.delete(this)) return;
    if (room.subscribers.size === 0 && room.rooms.get(room.name) === room) {
      room.rooms.delete(room.name);
    }
  }

  stop(failure: Error | null = null): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    if (failure) this.queue = [];
    this.room.leaveDirect(this);
    this.resume();
    this.onTaken?.();
  }

  /** Whether `slots` more messages fit, or half the bound when the bound is smaller. */
  hasRoomFor(slots: number): boolean {
    const wanted = Math.min(slots, Math.ceil(this.maxQueueLength / 2));
    return this.ended || this.maxQueueLength - this.queue.length >= wanted;
  }

  /** Resumes the parked `next()` if it has something to yield. */
  wakeUp(): void {
    this.scheduled = false;
    // Woken early, then scheduled again: nothing new to hand over.
    if (this.queue.length === 0 && !this.ended) return;
    this.resume();
  }

  /** Resumes the parked `next()`, if any. */
  resume(): void {
    const wake = this.wake;
    if (wake === null) return;
    this.room.leaveDirect(this);
    this.wake = null;
    wake.resolve();
  }
}

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
