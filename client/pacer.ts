/**
 * Keeps the requests the server counts against its rate limit (`send`,
 * `history`, `set_name`, `leave`) within the budget `hello` advertises, so
 * the server never has to refuse one with `rate_limited`.
 *
 * @module
 */

/** The limits a pacer follows, as `hello` gives them. */
export interface PacerLimits {
  /** Requests per second, sustained. */
  rateLimit: number;
  /** Requests at once above the rate. */
  rateBurst: number;
}

/**
 * A mirror of the server's token bucket that errs on the safe side. The
 * server takes a token when a request arrives, which is later than the
 * client sends it; a burst that a stalled network delivered at once can
 * therefore find the server's bucket emptier than a plain copy would think.
 * So the pacer holds a token from the moment a request is written and spends
 * it only when the reply arrives (later than the server spent it), and a
 * `rate_limited` reply empties it: its count is never above the server's.
 *
 * @example A burst, then one request per `1 / rateLimit` seconds
 * ```ts
 * import assert from "node:assert/strict";
 * import { SendPacer } from "./pacer.ts";
 *
 * let time = 0;
 * const pacer = new SendPacer({ rateLimit: 10, rateBurst: 2 }, () => time);
 * assert.equal(pacer.reserve(), 0);
 * assert.equal(pacer.reserve(), 0);
 * assert.equal(pacer.reserve(), 100); // both tokens are held until replied
 * pacer.settle(true);
 * pacer.settle(true);
 * time += 100;
 * assert.equal(pacer.reserve(), 0);
 * ```
 */
export class SendPacer {
  #tokens: number;
  #updatedAt: number;
  #reserved = 0;
  /** Tokens per millisecond. */
  #rate: number;
  #burst: number;
  #now: () => number;

  /**
   * Creates a full pacer, as the server's bucket is when it says `hello`.
   *
   * @param limits The rate and burst from `hello`.
   * @param now Clock in milliseconds.
   */
  constructor(limits: PacerLimits, now: () => number) {
    this.#rate = limits.rateLimit / 1000;
    this.#burst = limits.rateBurst;
    this.#now = now;
    this.#tokens = limits.rateBurst;
    this.#updatedAt = now();
  }

  /** Requests written and not yet answered. */
  get reserved(): number {
    return this.#reserved;
  }

  /**
   * Holds a token for one request, when one is free.
   *
   * @returns 0 when the request may be written now (a token is held for it
   * until {@linkcode SendPacer.settle}), otherwise how many milliseconds to
   * wait before asking again.
   */
  reserve(): number {
    this.#refill();
    const available = this.#tokens - this.#reserved;
    if (available >= 1) {
      this.#reserved++;
      return 0;
    }
    if (this.#rate <= 0) return Infinity;
    return Math.max(1, Math.ceil((1 - available) / this.#rate));
  }

  /**
   * Settles a reserved request once its reply arrived.
   *
   * @param spent `false` when the server refused it with `rate_limited`:
   * then its bucket was empty, and so is this one from now on.
   */
  settle(spent: boolean): void {
    if (this.#reserved === 0) return;
    this.#reserved--;
    this.#refill();
    if (spent) this.#tokens -= 1;
    else this.#tokens = Math.min(this.#tokens, 0);
  }

  /**
   * Gives a token back when a reserved request was not written after all.
   */
  release(): void {
    if (this.#reserved > 0) this.#reserved--;
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(
      this.#burst,
      this.#tokens + Math.max(0, now - this.#updatedAt) * this.#rate,
    );
    this.#updatedAt = now;
  }
}
