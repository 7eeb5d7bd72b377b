/**
 * What the bus between instances (Redis pub/sub, or the Deno KV log) does
 * besides carrying messages: events it dropped as invalid, subscriptions it
 * renewed, messages read from the stored log because the bus did not
 * deliver them, and rooms whose log was found under a new epoch. The brokers count here; the server shows the counters in
 * `/metrics`.
 *
 * @module
 */
import { log } from "../observability/log.ts";
import { Counter } from "../observability/metrics.ts";

/** Default for {@linkcode BusMetricsOptions.dropLogIntervalMs}. */
export const DEFAULT_DROP_LOG_INTERVAL_MS = 60_000;

/** Why an event from the bus or the store was dropped. */
export type DropReason = "size" | "json" | "shape" | "room" | "id" | "epoch";

/** Options for {@linkcode BusMetrics}. */
export interface BusMetricsOptions {
  /**
   * Milliseconds between two log lines about dropped events: a flood of bad
   * events is counted in full but logged once per interval, with the number
   * dropped since the last line.
   *
   * @default {60000}
   */
  dropLogIntervalMs?: number;
  /**
   * Clock in milliseconds.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

/**
 * The bus's counters, and the one place that reports a dropped event.
 *
 * @example A flood of bad events is counted in full and logged once
 * ```ts
 * import assert from "node:assert/strict";
 * import { BusMetrics } from "./bus_metrics.ts";
 *
 * const metrics = new BusMetrics();
 * for (let i = 0; i < 1000; i++) metrics.drop("json", { room: "general" });
 * assert.equal(metrics.dropped.value({ reason: "json" }), 1000);
 * ```
 */
export class BusMetrics {
  /** Events from the bus or the store dropped as invalid, by reason. */
  readonly dropped: Counter = new Counter(
    "chat_bus_dropped_total",
    "Events from the bus or the stored log dropped as invalid, by reason",
  );
  /** Times the subscription to the bus was renewed after its connection dropped. */
  readonly resubscribes: Counter = new Counter(
    "chat_bus_resubscribes_total",
    "Times the bus subscription was renewed after its connection dropped",
  );
  /** Reads of a room's stored log that delivered messages the bus had not. */
  readonly catchUps: Counter = new Counter(
    "chat_bus_catch_ups_total",
    "Reads of a room's stored log that delivered messages the bus had not",
  );
  /** Messages delivered from the stored log rather than by the bus. */
  readonly caughtUp: Counter = new Counter(
    "chat_bus_caught_up_messages_total",
    "Messages delivered from the stored log because the bus had not delivered them",
  );
  /** Times a room's log was found under a new epoch: it lost messages and numbers them anew. */
  readonly epochResets: Counter = new Counter(
    "chat_bus_epoch_resets_total",
    "Times a room's stored log was found under a new epoch (it lost messages)",
  );
  #intervalMs: number;
  #now: () => number;
  #lastLogged = -Infinity;
  #unlogged = 0;

  /** Creates the counters; nothing is logged or counted until used. */
  constructor(options: BusMetricsOptions = {}) {
    this.#intervalMs = options.dropLogIntervalMs ??
      DEFAULT_DROP_LOG_INTERVAL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Every counter, to register with the server's metrics. */
  get counters(): Counter[] {
    return [
      this.dropped,
      this.resubscribes,
      this.catchUps,
      this.caughtUp,
      this.epochResets,
    ];
  }

  /**
   * Counts a dropped event and logs it, at most once per interval.
   *
   * @param reason What was wrong with it.
   * @param detail Where it came from (room, length…); never the content.
   */
  drop(reason: DropReason, detail: Record<string, unknown> = {}): void {
    this.dropped.inc({ reason });
    this.#unlogged++;
    const now = this.#now();
    if (now - this.#lastLogged < this.#intervalMs) return;
    log("warn", "bus.event_dropped", {
      reason,
      ...detail,
      droppedSinceLastLog: this.#unlogged,
    });
    this.#lastLogged = now;
    this.#unlogged = 0;
  }
}
