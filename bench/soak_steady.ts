/**
 * The steady soak: many clients with steady traffic for a long while, every
 * delivery counted and the server's memory sampled for a trend.
 *
 * @module
 */
import { LoadStats, percentile } from "./soak_clients.ts";
import { MIB, snapshot, type SoakTarget } from "./soak_target.ts";
import {
  closeAll,
  type DeliveryCounts,
  deliveryCounts,
  drain,
  openClients,
  traffic,
} from "./_soak_traffic.ts";

/** Options of {@linkcode steadySoak}. */
export interface SteadyOptions {
  clients: number;
  rooms: number;
  ratePerRoom: number;
  textBytes: number;
  seconds: number;
  /** How often the server's memory is sampled. */
  sampleSeconds: number;
}

/** What {@linkcode steadySoak} measured. */
export interface SteadyResult extends DeliveryCounts {
  options: SteadyOptions;
  sent: number;
  p50Ms: number;
  p99Ms: number;
  /** `[seconds since start, RSS bytes, heap bytes]` samples. */
  samples: [number, number, number][];
  /** Least-squares RSS trend over the second half of the run, in MiB per minute. */
  rssSlopeMiBPerMinute: number;
}

function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const meanX = points.reduce((a, [x]) => a + x, 0) / n;
  const meanY = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Keeps `clients` connected with steady traffic for `seconds`, counting every delivery.
 *
 * @param target The server.
 * @param options The clients, the traffic and how often memory is sampled.
 * @returns Deliveries, latencies, memory samples and the memory trend.
 */
export async function steadySoak(
  target: SoakTarget,
  options: SteadyOptions,
): Promise<SteadyResult> {
  const { clients, rooms, ratePerRoom, textBytes, seconds, sampleSeconds } =
    options;
  const stats = new LoadStats();
  const byRoom = await openClients(target, clients, rooms, stats, "soak");
  try {
    const samples: [number, number, number][] = [];
    const started = performance.now();
    const sample = async () => {
      const now = await snapshot(target);
      samples.push([
        (performance.now() - started) / 1000,
        now.rssBytes,
        now.heapUsedBytes,
      ]);
    };
    await sample();
    const sampler = setInterval(() => void sample(), sampleSeconds * 1000);
    try {
      await traffic(byRoom, ratePerRoom, seconds, textBytes);
    } finally {
      clearInterval(sampler);
    }
    const secondHalf = samples.filter(([t]) => t >= seconds / 2)
      .map(([t, rss]) => [t / 60, rss / MIB] as [number, number]);
    const { lost } = await drain(stats, clients / rooms);
    await sample();
    return {
      options,
      sent: stats.sent,
      ...deliveryCounts(stats, lost),
      p50Ms: percentile(stats.latencies, 50),
      p99Ms: percentile(stats.latencies, 99),
      samples,
      rssSlopeMiBPerMinute: slope(secondHalf),
    };
  } finally {
    await closeAll(byRoom);
  }
}
