/**
 * When the client tries again: the reconnect schedule (exponential back-off
 * with jitter) and the clock every wait of the client runs on, which tests
 * replace.
 *
 * @module
 */

/** Time and timers; the client waits only through one of these. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `callback` once after `delay` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, delay: number): unknown;
  /** Cancels a timer `setTimeout` returned; ignores one that already ran. */
  clearTimeout(handle: unknown): void;
}

/** The clock of the runtime: `Date.now` and the global timers. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delay) => setTimeout(callback, delay),
  clearTimeout: (handle) =>
    clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Options for {@linkcode backoffDelay}. */
export interface BackoffOptions {
  /**
   * Delay before the first retry, in milliseconds.
   *
   * @default {1000}
   */
  initialDelay?: number;
  /**
   * Longest delay, in milliseconds, jitter included.
   *
   * @default {5000}
   */
  maxDelay?: number;
  /**
   * How far each delay is randomised either way, as a fraction of it: 0.5
   * spreads a 1 s delay over 0.5 s to 1.5 s, so clients that lost the same
   * server do not all come back in the same instant.
   *
   * @default {0.5}
   */
  jitter?: number;
  /**
   * Source of randomness in [0, 1).
   *
   * @default {Math.random}
   */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (0 for the first): it doubles from
 * `initialDelay` with each failed attempt, is randomised by ±`jitter`, and
 * never exceeds `maxDelay`. With the defaults, as Socket.IO's client does:
 *
 * | Attempt | Delay         |
 * | ------- | ------------- |
 * | 0       | 0.5 s – 1.5 s |
 * | 1       | 1 s – 3 s     |
 * | 2       | 2 s – 5 s     |
 * | 3 on    | 4 s – 5 s     |
 *
 * @param attempt Failed attempts since the last successful connection.
 * @param options Schedule and randomness.
 * @returns Milliseconds to wait.
 *
 * @example The schedule's bounds
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoffDelay } from "./backoff.ts";
 *
 * assert.equal(backoffDelay(0, { random: () => 0 }), 500);
 * assert.equal(backoffDelay(1, { random: () => 0.5 }), 2000);
 * assert.equal(backoffDelay(9, { random: () => 0.99 }), 5000);
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
): number {
  const {
    initialDelay = 1000,
    maxDelay = 5000,
    jitter = 0.5,
    random = Math.random,
  } = options;
  // Capped before doubling further, so a long outage cannot overflow.
  const base = initialDelay * 2 ** Math.min(attempt, 30);
  const spread = 1 + jitter * (2 * random() - 1);
  return Math.round(Math.min(maxDelay, base * spread));
}
