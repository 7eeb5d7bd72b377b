/**
 * One subscriber of a `MemoryBroker` (`broker.ts`): its bounded queue, the
 * wake-up of its parked `next()`, and its cut-off as a slow consumer.
 *
 * @module
 */
import type { BatchReceiver } from "../broker.ts";
import type { Room } from "./_room.ts";
import { SlowConsumerError } from "./_slow_consumer_error.ts";
import type { Wakeable } from "./_wake_scheduler.ts";

/**
 * Share of the queue bound at which a parked subscriber is woken at once
 * rather than at the end of the turn. A turn can outlast many publishes: when
 * the store answers quickly, Deno resolves several commits before it runs the
 * turn's `setImmediate`, and a queue must not reach its bound (and be cut off
 * as a slow consumer) only because its wake-up was deferred.
 */
export const EAGER_WAKE_FRACTION = 0.25;

/**
 * One subscription's state: the queue its generator drains, the wake-up of a
 * parked `next()`, and whether it takes its room's batches directly.
 */
export class Subscriber<T> implements Wakeable {
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
