/**
 * The server a soak scenario runs against: a fresh `deno run main.ts` on
 * loopback, its address and process, and its resource use at one moment.
 *
 * @module
 */
import { spawnServer } from "../testing/server_process.ts";
import { openFds, scrapeMetrics } from "./soak_clients.ts";

/** Bytes in a mebibyte, for reporting memory. */
export const MIB = 1024 * 1024;

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

/**
 * Reads the server's memory, descriptors, subscribers and connections.
 *
 * @param target The server.
 * @returns What it uses now; a metric it does not report is `NaN`.
 */
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

/**
 * Runs `run` against a fresh server started with `--log-level warn` and
 * `args`, and stops the server when it is done.
 *
 * @param args Flags for the server.
 * @param run The scenario.
 * @returns What `run` returns.
 * @throws {Error} What `run` throws, with the server's log in the message.
 */
export async function withSoakServer<T>(
  args: string[],
  run: (target: SoakTarget) => Promise<T>,
): Promise<T> {
  await using child = await spawnServer(["--log-level", "warn", ...args]);
  const url = new URL(child.url);
  try {
    return await run({
      origin: url.origin,
      wsUrl: `ws://${url.host}/ws`,
      port: Number(url.port),
      pid: child.process.pid,
    });
  } catch (error) {
    throw new Error(`${error}\nserver log:\n${child.stderr()}`, {
      cause: error,
    });
  }
}
