/**
 * What one load run measured, put together from the load processes' reports
 * and the server's and load's samples around the measured phase.
 *
 * @module
 */
import { LatencyHistogram } from "./histogram.ts";
import type { ProcSample } from "./proc_stats.ts";

/** Latency percentiles in milliseconds. */
export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** Deliveries timed (those a process sent to itself). */
  samples: number;
}

/** What one run measured. */
export interface LoadResult {
  mode: "plain" | "json";
  receivers: number;
  senders: number;
  rate: number;
  durationMs: number;
  opened: number;
  failed: number;
  /** Sockets the server closed during the run (e.g. as slow consumers). */
  closedEarly: number;
  /** `chat.v1` messages a socket got with an id not above the one before (one room, so never). */
  outOfOrder: number;
  sent: number;
  /** Messages sent × connections open. */
  expected: number;
  delivered: number;
  lost: number;
  deliveriesPerSecond: number;
  latencyMs: Latency;
  /** Messages acknowledged in the measured phase (`acked` runs). */
  acked: number;
  /** Acknowledged messages per second (`acked` runs). */
  ackedPerSecond: number;
  /** Send-to-`ack` latency (`acked` runs). */
  ackLatencyMs: Latency;
  serverCpuMs: number;
  /** The same, each of the server's processes (`LoadOptions.serverPids`) apart. */
  serverCpuMsByProcess: number[];
  /** Server CPU time per delivered message, in microseconds. */
  serverCpuMicrosPerDelivery: number;
  /** Server RSS before the sockets opened. */
  serverRssBaselineBytes: number;
  /** Server RSS at the end of the run. */
  serverRssBytes: number;
  /** (RSS at the end − baseline) / open sockets. */
  rssPerConnectionBytes: number;
  loadCpuMs: number;
  /** Load processes' CPU over the run's wall time; near 100 % means the client limited the run. */
  loadCpuPercent: number;
  /** First connection error, if any. */
  firstError: string;
}

/** What the load processes printed, and the samples taken around the run. */
export interface RunMeasurements {
  /** Each process's `ready` line. */
  readies: Record<string, unknown>[];
  /** Each process's `result` line. */
  results: Record<string, unknown>[];
  /** The server before the sockets opened. */
  baseline: ProcSample[];
  /** The server as the measured phase started. */
  serverBefore: ProcSample[];
  /** The server after the measured phase and the drain. */
  serverAfter: ProcSample[];
  /** The load processes as the measured phase started. */
  loadBefore: ProcSample[];
  /** The load processes after the measured phase and the drain. */
  loadAfter: ProcSample[];
  /** Milliseconds from the measured phase's start to `serverAfter`. */
  wallMs: number;
}

function sum(samples: ProcSample[], field: keyof ProcSample = "cpuMs"): number {
  return samples.reduce((total, sample) => total + sample[field], 0);
}

/**
 * Merges what every load process saw into one result.
 *
 * @param load The load that ran.
 * @param measured The processes' reports and the samples around the run.
 * @returns Deliveries, latency, and the server's and load's CPU and memory.
 */
export function summarizeRun(
  load: Pick<
    LoadResult,
    "mode" | "receivers" | "senders" | "rate" | "durationMs"
  >,
  measured: RunMeasurements,
): LoadResult {
  const { mode, receivers, senders, rate, durationMs } = load;
  const opened = measured.readies.reduce(
    (n, ready) => n + Number(ready.opened),
    0,
  );
  const failed = measured.readies.reduce(
    (n, ready) => n + Number(ready.failed),
    0,
  );
  const histogram = new LatencyHistogram();
  const ackHistogram = new LatencyHistogram();
  let sent = 0, delivered = 0, closedEarly = 0, ackedCount = 0;
  let outOfOrder = 0;
  let firstError = String(
    measured.readies.find((r) => r.firstError)?.firstError ?? "",
  );
  for (const result of measured.results) {
    sent += Number(result.sent);
    delivered += Number(result.delivered);
    closedEarly += Number(result.closedEarly);
    outOfOrder += Number(result.outOfOrder);
    firstError ||= String(result.firstError ?? "");
    histogram.merge(result.histogram as never);
    ackHistogram.merge(result.ackHistogram as never);
    ackedCount += Number(result.acked);
  }
  const expected = sent * opened;
  const serverCpuMsByProcess = measured.serverAfter.map((after, i) =>
    after.cpuMs - measured.serverBefore[i]!.cpuMs
  );
  const serverCpuMs = serverCpuMsByProcess.reduce((a, b) => a + b, 0);
  const serverRssBytes = sum(measured.serverAfter, "rssBytes");
  const loadCpuMs = sum(measured.loadAfter) - sum(measured.loadBefore);
  const ms = (micros: number) => Math.round(micros) / 1000;
  const latencyOf = (recorded: LatencyHistogram): Latency => ({
    p50: ms(recorded.percentile(50)),
    p90: ms(recorded.percentile(90)),
    p99: ms(recorded.percentile(99)),
    p999: ms(recorded.percentile(99.9)),
    max: ms(recorded.maxMicros),
    samples: recorded.count,
  });
  return {
    mode,
    receivers,
    senders,
    rate,
    durationMs,
    opened,
    failed,
    closedEarly,
    outOfOrder,
    sent,
    expected,
    delivered,
    lost: Math.max(0, expected - delivered),
    deliveriesPerSecond: Math.round(delivered / (durationMs / 1000)),
    latencyMs: latencyOf(histogram),
    acked: ackedCount,
    ackedPerSecond: Math.round(ackedCount / (durationMs / 1000)),
    ackLatencyMs: latencyOf(ackHistogram),
    serverCpuMs,
    serverCpuMsByProcess,
    serverCpuMicrosPerDelivery: delivered > 0
      ? Math.round((serverCpuMs * 1000 / delivered) * 100) / 100
      : NaN,
    serverRssBaselineBytes: sum(measured.baseline, "rssBytes"),
    serverRssBytes,
    rssPerConnectionBytes: opened > 0
      ? Math.round(
        (serverRssBytes - sum(measured.baseline, "rssBytes")) / opened,
      )
      : NaN,
    loadCpuMs,
    loadCpuPercent: Math.round((loadCpuMs / measured.wallMs) * 100),
    firstError,
  };
}
