/**
 * A latency histogram with logarithmic buckets (1 % wide), cheap enough to
 * record every delivery and small enough to pass between processes as JSON.
 *
 * @module
 */

/** Buckets per factor e of latency: 100 gives about 1 % resolution. */
const BUCKETS_PER_E = 100;
/** Enough buckets for latencies up to e^20 µs (about 8 minutes). */
const BUCKET_COUNT = 20 * BUCKETS_PER_E;

/** A histogram as sent between processes: `[bucket, count]` pairs and the exact extremes. */
export interface HistogramData {
  buckets: [number, number][];
  count: number;
  maxMicros: number;
}

/**
 * Counts latencies in microseconds; percentiles come back within about 1 %.
 *
 * @example Percentiles of recorded latencies
 * ```ts
 * import assert from "node:assert/strict";
 * import { LatencyHistogram } from "./histogram.ts";
 *
 * const histogram = new LatencyHistogram();
 * for (let micros = 1; micros <= 1000; micros++) histogram.record(micros);
 * assert.equal(histogram.count, 1000);
 * assert.ok(Math.abs(histogram.percentile(50) - 500) < 10);
 * assert.equal(histogram.maxMicros, 1000);
 * ```
 */
export class LatencyHistogram {
  #counts = new Uint32Array(BUCKET_COUNT);
  #count = 0;
  #max = 0;

  /** Number of recorded latencies. */
  get count(): number {
    return this.#count;
  }

  /** Largest recorded latency in microseconds. */
  get maxMicros(): number {
    return this.#max;
  }

  /**
   * Records one latency.
   *
   * @param micros Latency in microseconds.
   */
  record(micros: number): void {
    const index = micros <= 1 ? 0 : Math.min(
      BUCKET_COUNT - 1,
      Math.floor(Math.log(micros) * BUCKETS_PER_E),
    );
    this.#counts[index]!++;
    this.#count++;
    if (micros > this.#max) this.#max = micros;
  }

  /**
   * Adds the counts of a histogram received from another process.
   *
   * @param data What {@linkcode LatencyHistogram.toJSON} returned there.
   */
  merge(data: HistogramData): void {
    for (const [index, count] of data.buckets) this.#counts[index]! += count;
    this.#count += data.count;
    if (data.maxMicros > this.#max) this.#max = data.maxMicros;
  }

  /**
   * The latency below which `p` percent of the recorded ones fall.
   *
   * @param p Percentile, 0 to 100.
   * @returns Microseconds (bucket middle), or `NaN` when nothing was recorded.
   */
  percentile(p: number): number {
    if (this.#count === 0) return NaN;
    const rank = Math.ceil((p / 100) * this.#count);
    let seen = 0;
    for (let index = 0; index < BUCKET_COUNT; index++) {
      seen += this.#counts[index]!;
      if (seen >= rank && seen > 0) {
        return Math.min(this.#max, Math.exp((index + 0.5) / BUCKETS_PER_E));
      }
    }
    return this.#max;
  }

  /** The non-empty buckets, for sending to another process. */
  toJSON(): HistogramData {
    const buckets: [number, number][] = [];
    this.#counts.forEach((count, index) => {
      if (count > 0) buckets.push([index, count]);
    });
    return { buckets, count: this.#count, maxMicros: this.#max };
  }
}
