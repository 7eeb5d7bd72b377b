/**
 * Fault and load scenarios against a running server on loopback: churn,
 * slow consumers, a steady soak and abrupt client death. `soak_test.ts` runs
 * short forms in CI; `deno task soak` runs the long forms, each against a
 * fresh `deno run main.ts`, and prints the numbers that
 * `docs/operations.md` records.
 *
 * @module
 */
import { setTimeout as delay } from "node:timers/promises";
import { spawnServer } from "../testing/server_process.ts";
import {
  LoadClient,
  LoadStats,
  openFds,
  openFrozenPeer,
  openStalledPeer,
  percentile,
  scrapeMetrics,
} from "./soak_clients.ts";
import type { TcpWebSocket } from "./tcp_websocket.ts";

/** A server under test. */
export interface SoakTarget {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** `ws://127.0.0.1:PORT/ws` */
  wsUrl: string;
  port: number;
  /** The server's process id, for its file descriptors. */
  pid: number;
}

/** The server's resource use at one moment. */
export interface Snapshot {
  fds: number;
  rssBytes: number;
  heapUsedBytes: number;
  subscribers: number;
  connections: number;
}

const MB = 1024 * 1024;

/** Reads the server's memory, descriptors, subscribers and connections. */
export async function snapshot(target: SoakTarget): Promise<Snapshot> {
  const metrics = await scrapeMetrics(target.origin);
  return {
    fds: await openFds(target.pid),
    rssBytes: metrics.get("process_resident_memory_bytes") ?? NaN,
    heapUsedBytes: metrics.get("deno_heap_used_bytes") ?? NaN,
    subscribers: metrics.get("chat_subscribers") ?? NaN,
    connections: (metrics.get('chat_connections{protocol="json"}') ?? 0) +
      (metrics.get('chat_connections{protocol="plain"}') ?? 0),
  };
}

/** Polls `condition` every 50 ms; throws after `ms`. */
async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms: number,
): Promise<number> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > ms) {
      throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    }
    await delay(50);
  }
  return performance.now() - started;
}

/** Waits until the server has exactly `connections` connections and their subscribers. */
function settle(
  target: SoakTarget,
  connections: number,
  subscribers: number,
  ms = 30_000,
): Promise<number> {
  return until(
    async () => {
      const now = await snapshot(target);
      return now.connections === connections &&
        now.subscribers === subscribers;
    },
    `${connections} connections and ${subscribers} subscribers`,
    ms,
  );
}

/** Opens `count` clients spread evenly over `rooms` rooms, `batch` at a time. */
async function openClients(
  target: SoakTarget,
  count: number,
  rooms: number,
  stats: LoadStats,
  prefix: string,
): Promise<LoadClient[][]> {
  const byRoom: LoadClient[][] = Array.from({ length: rooms }, () => []);
  const batch = 50;
  for (let start = 0; start < count; start += batch) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, (_, i) => {
        const index = start + i;
        return LoadClient.open(
          target.wsUrl,
          `${prefix}${index}`,
          `room-${index % rooms}`,
          stats,
        );
      }),
    );
    for (const client of opened) {
      byRoom[Number(client.room.slice(5))]!.push(client);
    }
  }
  return byRoom;
}

async function closeAll(byRoom: LoadClient[][]): Promise<void> {
  await Promise.all(byRoom.flat().map((client) => client.close()));
}

/**
 * Sends `ratePerRoom` messages per second into every room, from its members
 * in turn, for `seconds`.
 */
async function traffic(
  byRoom: LoadClient[][],
  ratePerRoom: number,
  seconds: number,
  textBytes: number,
  stop?: Promise<unknown>,
): Promise<void> {
  const timers = byRoom.map((members) => {
    let turn = 0;
    return setInterval(() => {
      members[turn++ % members.length]?.send(textBytes);
    }, 1000 / ratePerRoom);
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      new Promise((resolve) => timer = setTimeout(resolve, seconds * 1000)),
      ...(stop ? [stop] : []),
    ]);
  } finally {
    clearTimeout(timer);
    for (const interval of timers) clearInterval(interval);
  }
}

/** Waits until every send is answered and every message delivered to every member. */
async function drain(
  stats: LoadStats,
  roomSize: number,
  ms = 30_000,
): Promise<{ expected: number; lost: number }> {
  const answered = () =>
    stats.acked + [...stats.errors.values()].reduce((a, b) => a + b, 0);
  try {
    await until(
      () =>
        answered() >= stats.sent &&
        stats.received >= (stats.acked - stats.duplicates) * roomSize,
      "every message to be delivered",
      ms,
    );
  } catch {
    // Report the shortfall as lost rather than failing here.
  }
  const expected = (stats.acked - stats.duplicates) * roomSize;
  return { expected, lost: expected - stats.received };
}

/** Options and results of {@linkcode churn}. */
export interface ChurnResult {
  cycles: number;
  seconds: number;
  before: Snapshot;
  after: Snapshot;
  unexpectedCloses: number;
}

/**
 * Connect, join, send one message, wait for its ack, disconnect: `cycles`
 * times, `concurrency` at once. Measures the server before (after a
 * warm-up) and after, once everything has closed.
 */
export async function churn(
  target: SoakTarget,
  options: { cycles: number; concurrency: number; rooms?: number },
): Promise<ChurnResult> {
  const { cycles, concurrency, rooms = 10 } = options;
  const stats = new LoadStats();
  stats.measuredFrom = Infinity;
  let next = 0;
  const run = async (total: number) => {
    while (next < total) {
      const index = next++;
      const client = await LoadClient.open(
        target.wsUrl,
        `churn${index}`,
        `churn-${index % rooms}`,
        stats,
      );
      client.send();
      await client.acked(1);
      await client.close();
    }
  };
  const warmUp = Math.min(200, Math.ceil(cycles / 10));
  await Promise.all(Array.from({ length: concurrency }, () => run(warmUp)));
  await settle(target, 0, 0);
  const before = await snapshot(target);
  next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, () => run(cycles)));
  const seconds = (performance.now() - started) / 1000;
  await settle(target, 0, 0);
  // A socket's descriptor closes a moment after its close event.
  await until(
    async () => (await openFds(target.pid)) <= before.fds,
    "descriptors to return to baseline",
    5000,
  ).catch(() => {});
  const after = await snapshot(target);
  const unexpectedCloses = [...stats.unexpectedCloses.values()]
    .reduce((a, b) => a + b, 0);
  return { cycles, seconds, before, after, unexpectedCloses };
}

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

/** What {@linkcode slowConsumers} measured. */
export interface SlowConsumerResult {
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
  delivered: number;
  lost: number;
  outOfSequence: number;
  /** Fresh messages the server acknowledged as duplicates (never published). */
  duplicates: number;
  errors: Record<string, number>;
  /** Reading clients the server closed, by close code. */
  unexpectedCloses: Record<number, number>;
}

/**
 * Runs the same traffic twice among reading clients: first alone, then with
 * peers that joined every room, read the replies and then stopped reading,
 * until the server has cut them all off (or `stalledSeconds` pass).
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
      delivered: stats.received,
      lost,
      outOfSequence: stats.outOfSequence,
      duplicates: stats.duplicates,
      errors: Object.fromEntries(stats.errors),
      unexpectedCloses: Object.fromEntries(stats.unexpectedCloses),
    };
  } finally {
    for (const peer of peers) peer[Symbol.dispose]();
    await closeAll(byRoom);
  }
}

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
export interface SteadyResult {
  options: SteadyOptions;
  sent: number;
  delivered: number;
  lost: number;
  outOfSequence: number;
  /** Fresh messages the server acknowledged as duplicates (never published). */
  duplicates: number;
  errors: Record<string, number>;
  unexpectedCloses: Record<number, number>;
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

/** Keeps `clients` connected with steady traffic for `seconds`, counting every delivery. */
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
      .map(([t, rss]) => [t / 60, rss / MB] as [number, number]);
    const { lost } = await drain(stats, clients / rooms);
    await sample();
    return {
      options,
      sent: stats.sent,
      delivered: stats.received,
      lost,
      outOfSequence: stats.outOfSequence,
      duplicates: stats.duplicates,
      errors: Object.fromEntries(stats.errors),
      unexpectedCloses: Object.fromEntries(stats.unexpectedCloses),
      p50Ms: percentile(stats.latencies, 50),
      p99Ms: percentile(stats.latencies, 99),
      samples,
      rssSlopeMiBPerMinute: slope(secondHalf),
    };
  } finally {
    await closeAll(byRoom);
  }
}

/** What {@linkcode abruptDeath} measured. */
export interface AbruptDeathResult {
  peers: number;
  /** Time until the server had dropped peers whose TCP connection was reset. */
  resetCleanupMs: number;
  /** Time until the server had dropped peers that went silent (no reset, no pong). */
  silentCleanupMs: number;
  idleTimeoutSeconds: number;
}

/**
 * Kills `peers` clients with a TCP reset (closing with unread data), then
 * lets as many go silent, and measures how long the server takes to drop
 * each group. The server must run with `--idle-timeout idleTimeoutSeconds`.
 */
export async function abruptDeath(
  target: SoakTarget,
  options: { peers: number; idleTimeoutSeconds: number },
): Promise<AbruptDeathResult> {
  const { peers, idleTimeoutSeconds } = options;
  const baseline = await snapshot(target);
  const limit = idleTimeoutSeconds * 3000 + 10_000;
  const open = async () => {
    const conns: Deno.TcpConn[] = [];
    for (let i = 0; i < peers; i++) {
      conns.push(await openStalledPeer(target.port, ["general"]));
    }
    await settle(
      target,
      baseline.connections + peers,
      baseline.subscribers + peers,
    );
    return conns;
  };
  const reset = await open();
  const resetStarted = performance.now();
  // Each peer has its unread hello and joined: closing now sends a reset.
  for (const conn of reset) conn.close();
  await settle(target, baseline.connections, baseline.subscribers, limit);
  const resetCleanupMs = performance.now() - resetStarted;

  const silent = await open();
  try {
    const silentStarted = performance.now();
    await settle(target, baseline.connections, baseline.subscribers, limit);
    return {
      peers,
      resetCleanupMs,
      silentCleanupMs: performance.now() - silentStarted,
      idleTimeoutSeconds,
    };
  } finally {
    for (const conn of silent) conn.close();
  }
}

async function withServer<T>(
  args: string[],
  run: (target: SoakTarget) => Promise<T>,
): Promise<T> {
  // Every load client connects from 127.0.0.1: no per-address cap.
  await using child = await spawnServer([
    "--log-level",
    "warn",
    "--max-connections-per-address",
    "0",
    ...args,
  ]);
  const url = new URL(child.url);
  return await run({
    origin: url.origin,
    wsUrl: `ws://${url.host}/ws`,
    port: Number(url.port),
    pid: child.process.pid,
  });
}

function mib(bytes: number): string {
  return (bytes / MB).toFixed(1);
}

if (import.meta.main) {
  const seconds = Number(Deno.env.get("SOAK_SECONDS") ?? 300);
  const print = (title: string, value: unknown) =>
    Deno.stdout.writeSync(
      new TextEncoder().encode(
        `## ${title}\n${JSON.stringify(value, null, 1)}\n`,
      ),
    );
  // `deno task soak churn slow` runs only those scenarios.
  const wanted = (name: string) =>
    Deno.args.length === 0 || Deno.args.includes(name);
  // Two rounds on one server: what the first leaves behind should not grow
  // in the second if it is warm-up and storage rather than a leak.
  if (wanted("churn")) {
    await withServer(["--max-connections", "20000"], async (target) => {
      for (const round of [1, 2]) {
        const churned = await churn(target, {
          cycles: 20_000,
          concurrency: 50,
        });
        print(`churn round ${round}`, {
          ...churned,
          rssMiB: [mib(churned.before.rssBytes), mib(churned.after.rssBytes)],
          heapMiB: [
            mib(churned.before.heapUsedBytes),
            mib(churned.after.heapUsedBytes),
          ],
        });
      }
    });
  }
  if (wanted("slow")) {
    const slow = await withServer(
      [],
      (target) =>
        slowConsumers(target, {
          clients: 1000,
          rooms: 20,
          stalled: 100,
          ratePerRoom: 10,
          textBytes: 1024,
          seconds: 60,
          stalledSeconds: 150,
        }),
    );
    print("slow consumers", {
      ...slow,
      rssMiB: [mib(slow.rssBeforeBytes), mib(slow.rssPeakBytes)],
    });
  }
  if (wanted("steady")) {
    const steady = await withServer(
      [],
      (target) =>
        steadySoak(target, {
          clients: 2000,
          rooms: 40,
          ratePerRoom: 5,
          textBytes: 128,
          seconds,
          sampleSeconds: 10,
        }),
    );
    print("steady soak", {
      ...steady,
      samples: steady.samples.map(([t, rss, heap]) => [
        Math.round(t),
        mib(rss),
        mib(heap),
      ]),
    });
  }
  if (wanted("death")) {
    const death = await withServer(
      ["--idle-timeout", "5"],
      (target) => abruptDeath(target, { peers: 500, idleTimeoutSeconds: 5 }),
    );
    print("abrupt death", death);
  }
}
