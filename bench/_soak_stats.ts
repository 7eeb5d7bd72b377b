/**
 * What the soak runs' counting clients tally: the counts shared by every
 * client of one run, and the percentile of the latencies they measured.
 *
 * @module
 */

/** Counts shared by every {@linkcode LoadClient} of one run. */
export class LoadStats {
  /** `send` requests written. */
  sent = 0;
  /** `ack`s received. */
  acked = 0;
  /** `ack`s that said `duplicate`: the server took a fresh nonce for a repeat. */
  duplicates = 0;
  /** Chat messages received, over every client. */
  received = 0;
  /** Messages that arrived out of sequence from their sender (lost or duplicated). */
  outOfSequence = 0;
  /** `error` frames by code. */
  errors = new Map<string, number>();
  /** Closes the clients did not ask for, by code. */
  unexpectedCloses = new Map<number, number>();
  /** Names announced as arriving in `presence` events, over every client. */
  arrivals = 0;
  /** Delivery latencies in milliseconds of messages sent since {@linkcode measuredFrom}. */
  latencies: number[] = [];
  /** `performance.now()` from which sends are measured; `Infinity` for none. */
  measuredFrom = 0;
}

/**
 * The p-th percentile (0 to 100) of `values`.
 *
 * @param values Samples, in any order.
 * @param p Percentile.
 * @returns The sample at that rank, or `NaN` for no samples.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const index = Math.min(
    sorted.length - 1,
    Math.ceil((p / 100) * sorted.length) - 1,
  );
  return sorted[Math.max(0, index)]!;
}
