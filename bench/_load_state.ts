/**
 * What every socket of one load process shares: its counters, the latencies
 * it records, and where the run stands.
 *
 * @module
 */
import { LatencyHistogram } from "./histogram.ts";

/** Counters shared by every socket of the process. */
export const totals = {
  opened: 0,
  failed: 0,
  closedEarly: 0,
  outOfOrder: 0,
  sent: 0,
  delivered: 0,
  acked: 0,
  firstError: "",
};

/** Latencies recorded since the start or the last {@linkcode resetCounts}. */
export const latencies = {
  /** Send-to-delivery times of the messages this process sent. */
  delivery: new LatencyHistogram(),
  /** Send-to-`ack` times of the `acked` mode. */
  ack: new LatencyHistogram(),
};

/** Where the run stands. */
export const phase = {
  /** Whether the `acked` mode sends: between `go` and `pause`. */
  ackedSending: false,
  /** Whether `stop` has come, so a socket closing now was not cut off. */
  stopping: false,
};

/**
 * Zeroes what the measured phase counts, after a warm-up: messages sent,
 * delivered and acknowledged, and both latencies.
 */
export function resetCounts(): void {
  totals.sent = 0;
  totals.delivered = 0;
  totals.acked = 0;
  latencies.delivery = new LatencyHistogram();
  latencies.ack = new LatencyHistogram();
}
