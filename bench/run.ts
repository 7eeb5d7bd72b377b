/**
 * Runs one load against one server: spawns the load processes, starts them
 * together, samples the server's CPU and memory around the run and merges
 * what every process saw.
 *
 * @module
 */
import { setTimeout as delay } from "node:timers/promises";
import { readProcSample } from "./proc_stats.ts";
import {
  sendCommand,
  spawnLoadProcess,
  stopLoadProcess,
} from "./_load_process.ts";
import { type LoadResult, summarizeRun } from "./_load_result.ts";

export type { Latency, LoadResult } from "./_load_result.ts";

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

function split(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
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
    await delay(rate === 0 && !acked ? 2000 : 300);
    if ((rate > 0 || acked) && warmupMs > 0) {
      await sendCommand(children, "go");
      await delay(warmupMs);
      await sendCommand(children, "pause");
      await delay(Math.min(drainMs, 500));
      await sendCommand(children, "reset");
    }
    const pids = children.map((process) => process.child.pid);
    const serverBefore = await readServer();
    const loadBefore = await Promise.all(pids.map(readProcSample));
    const startedAt = performance.now();
    await sendCommand(children, "go");
    await delay(durationMs);
    await sendCommand(children, "pause");
    await delay(drainMs);
    const serverAfter = await readServer();
    const loadAfter = await Promise.all(pids.map(readProcSample));
    const wallMs = performance.now() - startedAt;
    await sendCommand(children, "stop");
    const results = await Promise.all(children.map((child) => child.next()));
    return summarizeRun({ mode, receivers, senders, rate, durationMs }, {
      readies,
      results,
      baseline,
      serverBefore,
      serverAfter,
      loadBefore,
      loadAfter,
      wallMs,
    });
  } finally {
    for (const child of children) await stopLoadProcess(child);
  }
}
