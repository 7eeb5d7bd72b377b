/**
 * One room of a `MemoryBroker` (`broker.ts`): its subscribers, and the batch
 * of the turn it hands to those that take batches directly.
 *
 * @module
 */
import { EAGER_WAKE_FRACTION, type Subscriber } from "./_subscriber.ts";
import type { Wakeable, WakeScheduler } from "./_wake_scheduler.ts";

/**
 * One room's subscribers. Those parked with an empty queue and a receiver
 * (direct subscribers, the common case) queue nothing: the room gathers the
 * turn's messages once, and at the end of the turn hands that one batch to
 * each of them, so a delivery costs a call and no allocation.
 */
export class Room<T> implements Wakeable {
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
