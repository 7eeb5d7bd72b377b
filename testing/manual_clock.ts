/**
 * A clock for the chat client whose timers run only when a test fires them,
 * so a schedule can be read and stepped through without waiting.
 *
 * @module
 */
import type { Clock } from "../client/backoff.ts";

/** A timer the code under test set and has not cancelled. */
export interface ManualTimer {
  /** The delay it asked for, in milliseconds. */
  delay: number;
  callback: () => void;
}

/** Time stands still until {@linkcode ManualClock.fire} or `advance`. */
export class ManualClock implements Clock {
  #now: number;
  #timers = new Set<ManualTimer>();
  #added: (() => void)[] = [];

  /** Starts at `now` milliseconds. */
  constructor(now = 1_000_000) {
    this.#now = now;
  }

  /** Timers set and not yet fired or cancelled, oldest first. */
  get timers(): ManualTimer[] {
    return [...this.#timers];
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delay: number): ManualTimer {
    const timer = { delay, callback };
    this.#timers.add(timer);
    for (const wake of this.#added.splice(0)) wake();
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as ManualTimer);
  }

  /** Resolves with the first pending timer that asked for `delay`, once one does. */
  async timer(delay: number): Promise<ManualTimer> {
    while (true) {
      const found = this.timers.find((timer) => timer.delay === delay);
      if (found) return found;
      const added = Promise.withResolvers<void>();
      this.#added.push(added.resolve);
      await added.promise;
    }
  }

  /** Moves time on by `ms` without running any timer. */
  advance(ms: number): void {
    this.#now += ms;
  }

  /** Moves time on by the timer's delay and runs it. */
  fire(timer: ManualTimer): void {
    if (!this.#timers.delete(timer)) {
      throw new Error(`Cannot fire timer of ${timer.delay} ms: not pending`);
    }
    this.#now += timer.delay;
    timer.callback();
  }
}
