/**
 * Counters, gauges and histograms rendered in the Prometheus text format
 * (version 0.0.4) for `GET /metrics`. Values live in plain numbers updated
 * in place; nothing is computed until a scrape asks for it.
 *
 * See https://prometheus.io/docs/instrumenting/exposition_formats/ for the
 * format.
 *
 * @module
 */

/** Label names and values of one series, e.g. `{ protocol: "json" }`. */
export type Labels = Readonly<Record<string, string>>;

/** The `Content-Type` of a Prometheus text scrape. */
export const PROMETHEUS_CONTENT_TYPE =
  "text/plain; version=0.0.4; charset=utf-8";

/** Upper bounds, in seconds, of the latency histogram buckets: 0.1 ms to 2.5 s. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
];

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  lines(): string[];
}

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')
    .replaceAll("\n", "\\n");
}

function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([key, value]) =>
    `${key}="${escapeLabel(value)}"`
  );
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** One series of a {@linkcode Counter}, resolved once so a hot path adds to it without formatting labels. */
export interface CounterSeries {
  /**
   * Adds `amount` to the series.
   *
   * @param amount How much to add; never negative.
   */
  inc(amount?: number): void;
}

/** A value that only goes up, kept per label set. */
export class Counter implements Metric {
  readonly type = "counter";
  /** Values by formatted label set; a series appears once it was incremented. */
  #values = new Map<string, { value: number }>();

  /** Creates a counter; `name` should end in `_total`. */
  constructor(readonly name: string, readonly help: string) {}

  /**
   * Adds `amount` to the series with `labels`.
   *
   * @param labels The series.
   * @param amount How much to add; never negative.
   */
  inc(labels: Labels = {}, amount = 1): void {
    this.#box(formatLabels(labels)).value += amount;
  }

  /**
   * The series with `labels`, to add to repeatedly without formatting the
   * labels each time (sending a frame is counted per frame).
   *
   * @param labels The series.
   * @returns A handle whose `inc()` adds to that series.
   *
   * @example Counting through a series handle
   * ```ts
   * import assert from "node:assert/strict";
   * import { Counter } from "./metrics.ts";
   *
   * const frames = new Counter("frames_total", "Frames");
   * const json = frames.series({ protocol: "json" });
   * assert.deepEqual(frames.lines(), []);
   * json.inc();
   * json.inc(2);
   * assert.equal(frames.value({ protocol: "json" }), 3);
   * ```
   */
  series(labels: Labels = {}): CounterSeries {
    const key = formatLabels(labels);
    let box: { value: number } | undefined;
    return {
      inc: (amount = 1) => {
        box ??= this.#box(key);
        box.value += amount;
      },
    };
  }

  /**
   * Current value of one series.
   *
   * @param labels The series.
   * @returns Its value, 0 when it was never incremented.
   */
  value(labels: Labels = {}): number {
    return this.#values.get(formatLabels(labels))?.value ?? 0;
  }

  /** The exposition lines of every series. */
  lines(): string[] {
    return [...this.#values].map(([key, { value }]) =>
      `${this.name}${key} ${formatValue(value)}`
    );
  }

  #box(key: string): { value: number } {
    let box = this.#values.get(key);
    if (!box) this.#values.set(key, box = { value: 0 });
    return box;
  }
}

/** A value read at scrape time from a callback, one series per label set. */
export class Gauge implements Metric {
  readonly type = "gauge";

  /** Creates a gauge whose series `collect` returns when scraped. */
  constructor(
    readonly name: string,
    readonly help: string,
    readonly collect: () => Iterable<[Labels, number]>,
  ) {}

  /** The exposition lines of every series. */
  lines(): string[] {
    return Array.from(
      this.collect(),
      ([labels, value]) =>
        `${this.name}${formatLabels(labels)} ${formatValue(value)}`,
    );
  }
}

/** Observations counted into cumulative buckets, with their sum and count. */
export class Histogram implements Metric {
  readonly type = "histogram";
  #buckets: readonly number[];
  #counts: number[];
  #sum = 0;
  #count = 0;

  /** Creates a histogram with ascending bucket bounds. */
  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[] = LATENCY_BUCKETS_SECONDS,
  ) {
    this.#buckets = buckets;
    this.#counts = buckets.map(() => 0);
  }

  /** Number of observations so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * Records one observation.
   *
   * @param value The observed value, e.g. seconds.
   */
  observe(value: number): void {
    this.#sum += value;
    this.#count++;
    const index = this.#buckets.findIndex((bound) => value <= bound);
    if (index >= 0) this.#counts[index]!++;
  }

  /** The exposition lines: cumulative buckets, `+Inf`, sum and count. */
  lines(): string[] {
    let cumulative = 0;
    const lines = this.#buckets.map((bound, index) => {
      cumulative += this.#counts[index]!;
      return `${this.name}_bucket{le="${bound}"} ${cumulative}`;
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.#count}`);
    lines.push(`${this.name}_sum ${formatValue(this.#sum)}`);
    lines.push(`${this.name}_count ${this.#count}`);
    return lines;
  }
}

/**
 * A set of metrics rendered together.
 *
 * @example Rendering a counter
 * ```ts
 * import assert from "node:assert/strict";
 * import { Counter, Registry } from "./metrics.ts";
 *
 * const registry = new Registry();
 * const requests = registry.add(new Counter("app_requests_total", "Requests served"));
 * requests.inc({ method: "GET" });
 * assert.equal(
 *   registry.render(),
 *   '# HELP app_requests_total Requests served\n# TYPE app_requests_total counter\napp_requests_total{method="GET"} 1\n',
 * );
 * ```
 */
export class Registry {
  #metrics: Metric[] = [];

  /**
   * Adds `metric` to the registry.
   *
   * @param metric A counter, gauge or histogram.
   * @returns The same metric, to keep a reference to it.
   * @throws {TypeError} When a metric of that name is already registered.
   */
  add<M extends Metric>(metric: M): M {
    if (this.#metrics.some((known) => known.name === metric.name)) {
      throw new TypeError(
        `Cannot add metric: "${metric.name}" is already registered`,
      );
    }
    this.#metrics.push(metric);
    return metric;
  }

  /**
   * Renders every metric in the Prometheus text format.
   *
   * @returns The scrape body, ending in a newline.
   */
  render(): string {
    const out: string[] = [];
    for (const metric of this.#metrics) {
      out.push(`# HELP ${metric.name} ${metric.help}`);
      out.push(`# TYPE ${metric.name} ${metric.type}`);
      out.push(...metric.lines());
    }
    return `${out.join("\n")}\n`;
  }
}
