/**
 * A connection's budget for the frames it sends: one token bucket for
 * messages (send, leave, history, set_name) and one for everything else
 * that gets an answer (pings and refused requests), each with its count of
 * consecutive refusals.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { TokenBucket } from "./rate_limiter.ts";

/** Which bucket a frame takes its token from. */
export type Spend = "message" | "control";

/**
 * What a frame gets: through; refused; or refused one time too many in a
 * row, so that the connection is to be closed.
 */
export type Verdict = "ok" | "refused" | "exhausted";

/** The settings a {@linkcode Budget} follows. */
export type BudgetLimits = Pick<
  Config,
  | "rateLimit"
  | "rateBurst"
  | "controlRate"
  | "controlBurst"
  | "rateLimitStrikes"
>;

/** One bucket and its refusals in a row. */
interface Account {
  bucket: TokenBucket;
  strikes: number;
}

/**
 * Spends one connection's tokens. Buckets are made at their first use, so
 * an idle connection holds none.
 *
 * @example A burst of pings, then refusals, then the verdict to close
 * ```ts
 * import assert from "node:assert/strict";
 * import { Budget } from "./budget.ts";
 *
 * const budget = new Budget({
 *   rateLimit: 1,
 *   rateBurst: 1,
 *   controlRate: 1,
 *   controlBurst: 2,
 *   rateLimitStrikes: 2,
 * }, () => 0);
 * assert.equal(budget.spend("control"), "ok");
 * assert.equal(budget.spend("control"), "ok");
 * assert.equal(budget.spend("control"), "refused");
 * assert.equal(budget.spend("control"), "exhausted");
 * assert.equal(budget.spend("message"), "ok");
 * ```
 */
export class Budget {
  #limits: BudgetLimits;
  #now: (() => number) | undefined;
  #message: Account | undefined;
  #control: Account | undefined;

  /**
   * A budget with nothing spent.
   *
   * @param limits Rates, bursts and the refusals in a row that close.
   * @param now Clock in milliseconds (default `performance.now`).
   */
  constructor(limits: BudgetLimits, now?: () => number) {
    this.#limits = limits;
    this.#now = now;
  }

  /**
   * Takes a token for one frame.
   *
   * @param kind The bucket to take it from.
   * @returns `ok`, `refused`, or `exhausted` once `rateLimitStrikes`
   *   frames in a row were refused by that bucket.
   */
  spend(kind: Spend): Verdict {
    const account = kind === "message"
      ? this.#message ??= this.#open(
        this.#limits.rateLimit,
        this.#limits.rateBurst,
      )
      : this.#control ??= this.#open(
        this.#limits.controlRate,
        this.#limits.controlBurst,
      );
    if (account.bucket.take()) {
      account.strikes = 0;
      return "ok";
    }
    account.strikes++;
    return account.strikes >= this.#limits.rateLimitStrikes
      ? "exhausted"
      : "refused";
  }

  #open(rate: number, burst: number): Account {
    return {
      bucket: new TokenBucket({ rate, burst, now: this.#now }),
      strikes: 0,
    };
  }
}
