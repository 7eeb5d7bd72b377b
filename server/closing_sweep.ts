/**
 * Ends connections whose socket Deno has closed on its own.
 *
 * When a peer misses a pong (`idleTimeout`), Deno closes the socket itself:
 * `readyState` turns to CLOSING at once, but `close` fires only after the
 * data still buffered for the peer has been written, and a peer that stopped
 * reading never takes it. Without a look at `readyState` such a connection
 * would stay in its rooms, in presence and in the connection count for as
 * long as the peer's TCP connection lives. One shared timer looks at every
 * connection instead of a timer per connection.
 *
 * @module
 */

/** Default for {@linkcode ClosingSweepOptions.intervalMs}. */
export const DEFAULT_SWEEP_INTERVAL_MS = 1000;

/** What the sweep asks of each connection. */
export interface Sweepable {
  /**
   * Ends the connection if its socket is closing or closed, and was at the
   * previous sweep already; idempotent.
   */
  endIfSocketClosed(): void;
}

/** Options for {@linkcode ClosingSweep}. */
export interface ClosingSweepOptions {
  /**
   * How often every connection is looked at, in milliseconds.
   *
   * @default {1000}
   */
  intervalMs?: number;
}

/**
 * Calls {@linkcode Sweepable.endIfSocketClosed} on every connection of a set
 * at an interval, while the set is not empty.
 *
 * @example The timer runs only while there are connections
 * ```ts
 * import assert from "node:assert/strict";
 * import { ClosingSweep } from "./closing_sweep.ts";
 *
 * const connections = new Set([{ endIfSocketClosed() {} }]);
 * using sweep = new ClosingSweep(connections);
 * sweep.start();
 * assert.equal(sweep.running, true);
 * connections.clear();
 * sweep.stopIfIdle();
 * assert.equal(sweep.running, false);
 * ```
 */
export class ClosingSweep implements Disposable {
  readonly #connections: ReadonlySet<Sweepable>;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * Creates a sweep over `connections`; nothing runs until
   * {@linkcode ClosingSweep.start}.
   *
   * @param connections The live set of connections, read at each sweep.
   * @param options The interval.
   */
  constructor(
    connections: ReadonlySet<Sweepable>,
    options: ClosingSweepOptions = {},
  ) {
    this.#connections = connections;
    this.#intervalMs = options.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  }

  /** Whether the timer is running. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Starts the timer unless it runs already; call when a connection is added. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.sweep(), this.#intervalMs);
  }

  /** Looks at every connection now. */
  sweep(): void {
    // Ending a connection removes it from the set, which a Set's iterator
    // allows.
    for (const connection of this.#connections) {
      connection.endIfSocketClosed();
    }
    this.stopIfIdle();
  }

  /** Stops the timer when no connection is left; call when one is removed. */
  stopIfIdle(): void {
    if (this.#connections.size === 0) this[Symbol.dispose]();
  }

  /** Stops the timer. */
  [Symbol.dispose](): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
