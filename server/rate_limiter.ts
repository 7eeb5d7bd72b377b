/**
 * A token bucket: the per-connection send rate limit.
 *
 * @module
 */

/** Options for {@linkcode TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second. */
  rate: number;
  /** Most tokens the bucket holds; also its starting fill. */
  burst: number;
  /**
   * Clock in milliseconds.
   *
   * @default {performance.now}
   */
  now?: () => number;
}

/**
 * Allows `rate` events per second on average and up to `burst` at once.
 *
 * @example Burst, then refill
 * ```ts
 * import assert from "node:assert/strict";
 * import { TokenBucket } from "./rate_limiter.ts";
 *
 * let time = 0;
 * const bucket = new TokenBucket({ rate: 2, burst: 2, now: () => time });
 * assert.ok(bucket.take());
 * assert.ok(bucket.take());
 * assert.ok(!bucket.take());
 * time += 500;
 * assert.ok(bucket.take());
 * ```
 */
export class TokenBucket {
  #tokens: number;
  #updatedAt: number;
  #rate: number;
  #burst: number;
  #now: () => number;

  /** Creates a full bucket. */
  constructor(options: TokenBucketOptions) {
    this.#rate = options.rate / 1000;
    this.#burst = options.burst;
    this.#now = options.now ?? monotonicNow;
    this.#tokens = options.burst;
    this.#updatedAt = this.#now();
  }

  /**
   * Takes one token.
   *
   * @returns `true` when a token was available, `false` when the caller is over the limit.
   */
  take(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(
      this.#burst,
      this.#tokens + (now - this.#updatedAt) * this.#rate,
    );
    this.#updatedAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** The default clock, shared so a bucket does not hold a closure of its own. */
function monotonicNow(): number {
  return performance.now();
}
