/**
 * The slow-consumer scenario: peers that stop reading join every room, and
 * the server should cut them off while the readers lose nothing.
 *
 * @module
 */
import {
  LoadStats,
  openFrozenPeer,
  percentile,
  scrapeMetrics,
} from "./soak_clients.ts";
import { snapshot, type SoakTarget } from "./soak_target.ts";
import type { TcpWebSocket } from "./tcp_websocket.ts";
import {
  closeAll,
  type DeliveryCounts,
  deliveryCounts,
  drain,
  openClients,
  traffic,
} from "./_soak_traffic.ts";
import { until } from "./_soak_waits.ts";

/** Options of {@linkcode slowConsumers}. */
export interface SlowConsumerOptions {
  /** Clients that keep reading, spread over the rooms. */
  clients: number;
  rooms: number;
  /** Peers that join every room and then stop reading. */
  stalled: number;
  ratePerRoom: number;
  textBytes: number;
  /** Length of the run without stalled peers. */
  seconds: number;
  /** Longest run with them: they should all be cut off within it. */
  stalledSeconds: number;
}

/** What {@linkcode slowConsumers} measured; the delivery counts are the reading clients'. */
export interface SlowConsumerResult extends DeliveryCounts {
  options: SlowConsumerOptions;
  /** Delivery latency of the reading clients without, then with, stalled peers. */
  p50Ms: [number, number];
  p99Ms: [number, number];
  /** Stalled peers the server dropped, and how long that took. */
  cutOff: number;
  cutOffSeconds: number;
  /**
   * Of those, the ones cut off as slow consumers (1013) rather than for not
   * answering pings within `CHAT_IDLE_TIMEOUT`, whichever came first.
   */
  cutOffAsSlow: number;
  rssBeforeBytes: number;
  rssPeakBytes: number;
}

/**
 * Runs the same traffic twice among reading clients: first alone, then with
 * peers that joined every room, read the replies and then stopped reading,
 * until the server has cut them all off (or `stalledSeconds` pass).
 *
 * @param target The server.
 * @param options The clients, the stalled peers and the traffic.
 * @returns Latencies without and with the stalled peers, the cut-offs, memory and deliveries.
 */
export async function slowConsumers(
  target: SoakTarget,
  options: SlowConsumerOptions,
): Promise<SlowConsumerResult> {
  const { clients, rooms, stalled, ratePerRoom, textBytes } = options;
  const stats = new LoadStats();
  const byRoom = await openClients(target, clients, rooms, stats, "reader");
  const peers: TcpWebSocket[] = [];
  try {
    const rssBeforeBytes = (await snapshot(target)).rssBytes;
    await traffic(byRoom, ratePerRoom, options.seconds, textBytes);
    await drain(stats, clients / rooms);
    const alone = stats.latencies;
    stats.latencies = [];

    const slowBefore = (await scrapeMetrics(target.origin))
      .get("chat_slow_consumers_total") ?? 0;
    let cutOff = 0;
    let cutOffAsSlow = 0;
    const countCutOff = async () => {
      const metrics = await scrapeMetrics(target.origin);
      const open = metrics.get('chat_connections{protocol="json"}') ?? 0;
      cutOff = Math.max(0, clients + peers.length - open);
      cutOffAsSlow = (metrics.get("chat_slow_consumers_total") ?? 0) -
        slowBefore;
      return metrics;
    };
    const roomNames = byRoom.map((members) => members[0]!.room);
    const arrivalsBefore = stats.arrivals;
    for (let i = 0; i < stalled; i++) {
      peers.push(await openFrozenPeer(target.wsUrl, roomNames));
    }
    // Measure from when every reader has seen every stalled peer arrive (or
    // the first was already cut off): the joins themselves (history and
    // presence for each) are not what is measured.
    await until(
      async () => {
        if (stats.arrivals - arrivalsBefore >= clients * stalled) return true;
        await countCutOff();
        return cutOff > 0;
      },
      "the readers to see the stalled peers arrive",
      30_000,
    );
    stats.latencies = [];
    stats.measuredFrom = performance.now();
    let rssPeakBytes = rssBeforeBytes;
    const started = performance.now();
    const allCut = until(
      async () => {
        const metrics = await countCutOff();
        rssPeakBytes = Math.max(
          rssPeakBytes,
          metrics.get("process_resident_memory_bytes") ?? 0,
        );
        return cutOff >= stalled;
      },
      "every stalled peer to be cut off",
      options.stalledSeconds * 1000 + 5000,
    )
      .catch(() => {});
    await traffic(
      byRoom,
      ratePerRoom,
      options.stalledSeconds,
      textBytes,
      allCut,
    );
    const cutOffSeconds = (performance.now() - started) / 1000;
    const { lost } = await drain(stats, clients / rooms);
    const withStalled = stats.latencies;
    return {
      options,
      p50Ms: [percentile(alone, 50), percentile(withStalled, 50)],
      p99Ms: [percentile(alone, 99), percentile(withStalled, 99)],
      cutOff,
      cutOffSeconds,
      cutOffAsSlow,
      rssBeforeBytes,
      rssPeakBytes,
      ...deliveryCounts(stats, lost),
    };
  } finally {
    for (const peer of peers) peer[Symbol.dispose]();
    await closeAll(byRoom);
  }
}
