/**
 * Measures `CHAT_SOCKET_REAPER`: how long after a cut-off a peer that never
 * reads loses its socket, and how long the server's event loop stalls
 * meanwhile, with few and with thousands of open sockets; then how long
 * the worker's walk of the descriptors takes. The server runs in this
 * process, on its own accept loop, so that a timer probe sees its event
 * loop. `docs/operations.md` records the numbers.
 *
 * Run: `deno run --allow-net --allow-read --allow-env --allow-ffi bench/socket_reaper.ts [idle sockets...]`
 *
 * @module
 */
import { createHandler } from "../main.ts";
import { TcpServer } from "../server/tcp_server.ts";
import { SocketTeardown } from "../server/socket_teardown.ts";
import { JSON_PROTOCOL } from "../server/protocol.ts";
import { RawPeer } from "../testing/raw_peer.ts";
import { largeHistory } from "../testing/server.ts";
import { encodeFrame, Opcode, upgradeTcp } from "../testing/wire.ts";
import { print } from "../observability/log.ts";

const CLOSE_TIMEOUT_MS = 3000;
const RUNS = 10;

/** Fires every millisecond and keeps how late each tick came, by time. */
class LagProbe implements Disposable {
  readonly ticks: { at: number; late: number }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onTick: () => void;

  constructor(onTick: () => void) {
    this.#onTick = onTick;
    this.#schedule(performance.now());
  }

  /** The latest tick between `from` and `to`, in milliseconds late. */
  maxLate(from: number, to: number): number {
    return Math.max(
      0,
      ...this.ticks.filter(({ at }) => at >= from && at <= to)
        .map(({ late }) => late),
    );
  }

  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
  }

  #schedule(due: number): void {
    this.#timer = setTimeout(() => {
      const at = performance.now();
      this.ticks.push({ at, late: at - due });
      this.#onTick();
      this.#schedule(at + 1);
    }, 1);
  }
}

/** When the server logged each socket torn down, and the worker's time for it. */
const tornDown: { at: number; workerMs: number }[] = [];
/** Resolves at the next teardown logged. */
let nextTornDown = Promise.withResolvers<void>();
/** When the server logged each cut-off. */
const cutOffs: number[] = [];
// The server logs in this process: keep its teardown lines, drop the rest.
// deno-lint-ignore no-console
console.error = (line: string) => {
  const event = JSON.parse(line);
  if (event.event === "connection.slow_consumer") {
    cutOffs.push(performance.now());
  } else if (event.event === "connection.torn_down") {
    tornDown.push({ at: performance.now(), workerMs: event.workerMs });
    nextTornDown.resolve();
    nextTornDown = Promise.withResolvers();
  }
};

function round(ms: number): string {
  return ms.toFixed(1);
}

const handler = createHandler({
  history: await largeHistory(),
  config: {
    socketReaper: true,
    closeTimeout: CLOSE_TIMEOUT_MS,
    idleTimeout: 0,
    maxBufferedBytes: 262_144,
    rateLimit: 1000,
    rateBurst: 1000,
    rateLimitStrikes: 1_000_000,
    maxConnectionsPerAddress: 0,
    logLevel: "info",
  },
});
await handler.ready();
const server = new TcpServer(handler, {
  hostname: "127.0.0.1",
  port: 0,
  handshakeTimeout: 10_000,
  maxConnectionsPerAddress: 0,
});
const port = server.addr.port;
const wsUrl = `ws://127.0.0.1:${port}/ws`;
const idle: Deno.TcpConn[] = [];
const request = encodeFrame(
  Opcode.text,
  new TextEncoder().encode('{"type":"history","room":"general","before":101}'),
);

/** One stalled peer, cut off and torn down; the times of each step. */
async function run() {
  const peer = await RawPeer.open(port, { protocol: JSON_PROTOCOL });
  const connections = server.connectionCount;
  let closedAt = 0;
  const closed = Promise.withResolvers<void>();
  using probe = new LagProbe(() => {
    if (!closedAt && server.connectionCount < connections) {
      closedAt = performance.now();
      closed.resolve();
    }
  });
  // A quiet stretch first, the baseline of how late ticks come anyway.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const startedAt = performance.now();
  const torn = nextTornDown.promise;
  await peer.send(Opcode.text, '{"type":"join","room":"general"}');
  for (let i = 0; i < 200; i++) await peer.write(request);
  // Deno may see the socket end before the worker's report arrives.
  await Promise.all([closed.promise, torn]);
  peer[Symbol.dispose]();
  const deadline = cutOffs.at(-1)! + CLOSE_TIMEOUT_MS;
  const { at, workerMs } = tornDown.at(-1)!;
  return {
    reported: at - deadline,
    workerMs,
    afterDeadline: closedAt - deadline,
    lagDuringTeardown: probe.maxLate(deadline - 5, closedAt + 5),
    // As long a window of nothing but the idle sockets, for comparison.
    lagIdle: probe.maxLate(startedAt - (closedAt - deadline) - 10, startedAt),
  };
}

/** "median (max)" of `values`. */
function summary(values: number[]): string {
  const sorted = values.toSorted((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `${round(median)} (${round(sorted.at(-1)!)})`;
}

const targets = Deno.args.length ? Deno.args.map(Number) : [0, 3000];
print(`Median (max) of ${RUNS} runs, after one not counted; milliseconds.`);
print(
  "| Open sockets | Walk in the worker | Reported after the deadline | Closed after the deadline | Event loop late, teardown | Event loop late, idle |",
);
print("| --: | --: | --: | --: | --: | --: |");
for (const count of targets) {
  while (idle.length < count) {
    idle.push((await upgradeTcp(wsUrl, { protocol: JSON_PROTOCOL })).conn);
  }
  await run();
  const results: Awaited<ReturnType<typeof run>>[] = [];
  for (let i = 0; i < RUNS; i++) results.push(await run());
  const column = (key: keyof typeof results[number]) =>
    summary(results.map((result) => result[key]));
  print(
    `| ${count + 1} | ${column("workerMs")} | ${column("reported")} | ${
      column("afterDeadline")
    } | ${column("lagDuringTeardown")} | ${column("lagIdle")} |`,
  );
}

// The walk alone, for a socket not open: the whole table, every time.
using teardown = new SocketTeardown();
await teardown.ready();
const walks: { ms: number; descriptors: number; late: number }[] = [];
{
  using probe = new LagProbe(() => {});
  for (let i = 0; i <= RUNS; i++) {
    const from = performance.now();
    const report = await teardown.tearDown([{
      remote: { hostname: "127.0.0.1", port: 1 },
      local: server.addr,
    }]);
    const to = performance.now();
    // The first walk warms up; then a tick's worth of quiet between walks.
    if (i > 0) {
      const { ms, descriptors } = report;
      walks.push({ ms, descriptors, late: probe.maxLate(from, to + 2) });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
print(
  `Walks of all ${walks[0]!.descriptors} descriptors: ${
    summary(walks.map((walk) => walk.ms))
  } ms in the worker; event loop late meanwhile ${
    summary(walks.map((walk) => walk.late))
  } ms`,
);
for (const conn of idle) conn.close();
await handler.shutdown();
await server.shutdown();
