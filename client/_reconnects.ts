/**
 * When a connection that dropped, or never opened, tries again: the attempts
 * that failed since it last opened, each one's delay on the back-off schedule
 * (or none, when the next try must come at once), and the one timer waiting
 * for the next try.
 *
 * @module
 */
import { backoffDelay, type BackoffOptions, type Clock } from "./backoff.ts";

/** The failed attempts of one connection, and its next try. */
export class Reconnects {
  #clock: Clock;
  #backoff: BackoffOptions | undefined;
  #attempt = 0;
  #timer: unknown;

  /**
   * @param clock Time and timers.
   * @param backoff The back-off schedule.
   */
  constructor(clock: Clock, backoff: BackoffOptions | undefined) {
    this.#clock = clock;
    this.#backoff = backoff;
  }

  /** Failed attempts since the connection last opened. */
  get attempt(): number {
    return this.#attempt;
  }

  /**
   * Counts a failed attempt.
   *
   * @param delay Milliseconds until the next try, when it is not the back-off's.
   * @returns Milliseconds until the next try.
   */
  failed(delay?: number): number {
    delay ??= backoffDelay(this.#attempt, this.#backoff);
    this.#attempt++;
    return delay;
  }

  /**
   * Calls `connect` after `delay`.
   *
   * @param delay Milliseconds to wait, as {@linkcode Reconnects.failed} said.
   * @param connect The next try.
   */
  wait(delay: number, connect: () => void): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      connect();
    }, delay);
  }

  /**
   * Stops waiting for the next try.
   *
   * @returns Whether a try was waiting.
   */
  cancel(): boolean {
    if (this.#timer === undefined) return false;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return true;
  }

  /** The connection opened: the next drop starts the back-off again. */
  opened(): void {
    this.#attempt = 0;
  }
}
