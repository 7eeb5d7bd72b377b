/**
 * How often a user's `typing` reaches a room: at most once per interval per
 * user and room on this instance, however many tabs the user types in, so a
 * client that sends one per keystroke costs the room one event.
 *
 * @module
 */

/** Entries at which the throttle forgets those whose interval has passed. */
const PRUNE_AT = 1024;

/**
 * Lets through one typing event per user and room per interval.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TypingThrottle } from "./typing.ts";
 *
 * let now = 0;
 * const throttle = new TypingThrottle(2000, () => now);
 * assert.equal(throttle.allow("ada", "general"), true);
 * assert.equal(throttle.allow("ada", "general"), false);
 * assert.equal(throttle.allow("ada", "dev"), true);
 * now = 2000;
 * assert.equal(throttle.allow("ada", "general"), true);
 * ```
 */
export class TypingThrottle {
  #intervalMs: number;
  #now: () => number;
  #last = new Map<string, number>();

  /** At most one event per `intervalMs` per user and room, by `now`. */
  constructor(intervalMs: number, now: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /**
   * Whether `userId`'s typing in `room` goes out now; if so, the interval
   * starts again.
   *
   * @param userId Who is typing.
   * @param room Where.
   * @returns Whether to publish it.
   */
  allow(userId: string, room: string): boolean {
    const now = this.#now();
    const key = JSON.stringify([room, userId]);
    const last = this.#last.get(key);
    if (last !== undefined && now - last < this.#intervalMs) return false;
    this.#last.delete(key);
    this.#last.set(key, now);
    if (this.#last.size >= PRUNE_AT) this.#prune(now);
    return true;
  }

  /** Forgets entries whose interval has passed: the map is in time order. */
  #prune(now: number): void {
    for (const [key, last] of this.#last) {
      if (now - last < this.#intervalMs) return;
      this.#last.delete(key);
    }
  }
}
