/**
 * Runs one load against one server: spawns the load processes, starts them
 * together, samples the server's CPU and memory around the run and merges
 * what every process saw.
 *
 * @module
 */
import { setTimeout as delay } from "node:timers/promises";
import { LatencyHistogram } from "./histogram.ts";
import type { LoadClientSettings } from "./load_client.ts";
import { type ProcSample, readProcSample } from "./proc_stats.ts";

/** Options for {@linkcode runLoad}. */
export interface LoadOptions {
  /** Process ids of the server (and what it shares, such as Redis): their CPU time and RSS are summed. */
  serverPids: readonly number[];
  /** Plain text or `chat.v1`. */
  mode: "plain" | "json";
  /** Connections that receive; the senders are among them. */
  receivers: number;
  /**
   * Connections that also send.
   *
   * @default {Math.min(receivers, 10)}
   */
  senders?: number;
  /** Messages per second, all senders together; 0 holds the sockets idle. */
  rate: number;
  /**
   * Closed loop (`chat.v1`): each sender keeps one message in flight and
   * sends the next when its `ack` arrives; `rate` is then ignored.
   *
   * @default {false}
   */
  acked?: boolean;
  /**
   * How long to send, in milliseconds.
   *
   * @default {5000}
   */
  durationMs?: number;
  /**
   * Sending before the measured phase, so JIT compilation and buffer growth
   * in the server are not measured; 0 skips it.
   *
   * @default {1000}
   */
  warmupMs?: number;
  /**
   * How long to wait after sending for deliveries still in flight.
   *
   * @default {1000}
   */
  drainMs?: number;
  /**
   * Load processes; each opens its share of the sockets, process `i` on the
   * server at URL `i` (round robin), so several servers share the load.
   *
   * @default {Math.max(2, Math.ceil(receivers / 5000))}
   */
  processes?: number;
  /**
   * Core the load processes are pinned to with `taskset`, or `null`.
   *
   * @default {1}
   */
  core?: number | null;
}

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
  /** The same, each of {@linkcode LoadOptions.serverPids} apart. */
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

interface LoadProcess {
  child: Deno.ChildProcess;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  reader: ReadableStreamDefaultReader<string>;
  next(): Promise<Record<string, unknown>>;
}

const LOAD_CLIENT = new URL("./load_client.ts", import.meta.url).pathname;
const encoder = new TextEncoder();

function spawnLoadProcess(
  settings: LoadClientSettings,
  core: number | null,
): LoadProcess {
  const argv = [
    Deno.execPath(),
    "run",
    "--allow-net",
    LOAD_CLIENT,
    JSON.stringify(settings),
  ];
  if (core !== null) argv.unshift("taskset", "-c", String(core));
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return {
    child,
    writer: child.stdin.getWriter(),
    reader,
    async next() {
      while (!buffered.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("Cannot read load process: it exited");
        buffered += value;
      }
      const newline = buffered.indexOf("\n");
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      return JSON.parse(line);
    },
  };
}

function split(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

function sum(samples: ProcSample[], field: keyof ProcSample = "cpuMs"): number {
  return samples.reduce((total, sample) => total + sample[field], 0);
}

/**
 * Runs one load against the server at `wsUrls` (several instances of one
 * server: the load processes spread over them).
 *
 * @param wsUrls The servers' WebSocket URLs.
 * @param options What load to apply and for how long.
 * @returns Deliveries, latency, and the server's and load's CPU and memory.
 * @throws {Error} When a load process fails.
 */
export async function runLoad(
  wsUrls: readonly string[],
  options: LoadOptions,
): Promise<LoadResult> {
  const {
    serverPids,
    mode,
    receivers,
    senders = Math.min(receivers, 10),
    rate,
    acked = false,
    durationMs = 5000,
    drainMs = 1000,
    warmupMs = 1000,
    processes = Math.max(2, Math.ceil(receivers / 5000)),
    core = 1,
  } = options;
  const readServer = () => Promise.all(serverPids.map(readProcSample));
  const baseline = await readServer();
  const children = Array.from({ length: processes }, (_, index) => {
    const mySenders = split(senders, processes, index);
    return spawnLoadProcess({
      url: wsUrls[index % wsUrls.length]!,
      mode,
      index,
      connections: split(receivers, processes, index),
      senders: mySenders,
      rate: senders === 0 ? 0 : (rate * mySenders) / senders,
      acked,
      connectConcurrency: 64,
      // Idle sockets need little; busy ones read many frames at once.
      readBufferBytes: rate === 0 && !acked ? 4096 : 65536,
    }, core);
  });
  try {
    const readies = await Promise.all(children.map((child) => child.next()));
    const opened = readies.reduce((n, ready) => n + Number(ready.opened), 0);
    const failed = readies.reduce((n, ready) => n + Number(ready.failed), 0);
    await delay(rate === 0 && !acked ? 2000 : 300);
    const command = (line: string) =>
      Promise.all(
        children.map((child) =>
          child.writer.write(encoder.encode(`${line}\n`))
        ),
      );
    if ((rate > 0 || acked) && warmupMs > 0) {
      await command("go");
      await delay(warmupMs);
      await command("pause");
      await delay(Math.min(drainMs, 500));
      await command("reset");
    }
    const pids = children.map((process) => process.child.pid);
    const serverBefore = await readServer();
    const loadBefore = await Promise.all(pids.map(readProcSample));
    const startedAt = performance.now();
    await command("go");
    await delay(durationMs);
    await command("pause");
    await delay(drainMs);
    const serverAfter = await readServer();
    const loadAfter = await Promise.all(pids.map(readProcSample));
    const wallMs = performance.now() - startedAt;
    await command("stop");
    const results = await Promise.all(children.map((child) => child.next()));
    const histogram = new LatencyHistogram();
    const ackHistogram = new LatencyHistogram();
    let sent = 0, delivered = 0, closedEarly = 0, ackedCount = 0;
    let outOfOrder = 0;
    let firstError = String(
      readies.find((r) => r.firstError)?.firstError ?? "",
    );
    for (const result of results) {
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
    const serverCpuMsByProcess = serverAfter.map((after, i) =>
      after.cpuMs - serverBefore[i]!.cpuMs
    );
    const serverCpuMs = serverCpuMsByProcess.reduce((a, b) => a + b, 0);
    const serverRssBytes = sum(serverAfter, "rssBytes");
    const loadCpuMs = sum(loadAfter) - sum(loadBefore);
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
      serverRssBaselineBytes: sum(baseline, "rssBytes"),
      serverRssBytes,
      rssPerConnectionBytes: opened > 0
        ? Math.round((serverRssBytes - sum(baseline, "rssBytes")) / opened)
        : NaN,
      loadCpuMs,
      loadCpuPercent: Math.round((loadCpuMs / wallMs) * 100),
      firstError,
    };
  } finally {
    for (const child of children) {
      await child.writer.close().catch(() => {});
      const timer = setTimeout(() => {
        try {
          child.child.kill("SIGKILL");
        } catch {
          // Already gone.
        }
      }, 5_000);
      await child.child.status;
      clearTimeout(timer);
      await child.reader.cancel().catch(() => {});
    }
  }
}
