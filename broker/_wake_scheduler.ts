/**
 * The broker's wake-ups, for `broker.ts`, `_room.ts` and `_subscriber.ts`:
 * {@linkcode WakeScheduler} wakes whatever was woken in an event-loop turn
 * once the turn is done.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/** What {@linkcode WakeScheduler} wakes: a parked subscriber, or a room's batch. */
export interface Wakeable {
  /** Called at the end of the turn in which it was added. */
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
export class WakeScheduler {
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
