import assert from "node:assert/strict";
import { waitFor } from "../testing/async.ts";
import { connectJson } from "../testing/client.ts";
import { ManualClock } from "../testing/manual_clock.ts";
import { RawPeer } from "../testing/raw_peer.ts";
import {
  fetchOnce,
  type ServerProcess,
  spawnServer,
  taskPermissions,
} from "../testing/server_process.ts";
import { startTcpServer } from "../testing/server.ts";
import { encodeFrame, Opcode } from "../testing/wire.ts";
import { JSON_PROTOCOL } from "./protocol.ts";
import { ConfigError } from "./config.ts";
import { SocketReaper, type Teardown } from "./socket_reaper.ts";
import type { SocketEnds, TeardownReport } from "./socket_teardown.ts";

const GRACE_MS = 2000;

/** A teardown that records each batch and tears every socket down. */
class RecordingTeardown implements Teardown {
  readonly batches: SocketEnds[][] = [];
  #next = Promise.withResolvers<SocketEnds[]>();

  tearDown(targets: readonly SocketEnds[]): Promise<TeardownReport> {
    this.batches.push([...targets]);
    this.#next.resolve([...targets]);
    this.#next = Promise.withResolvers();
    return Promise.resolve({
      results: targets.map(() => ({ outcome: "torn_down" })),
      descriptors: 0,
      ms: 0,
    });
  }

  /** Resolves with the next batch. */
  nextBatch(): Promise<SocketEnds[]> {
    return this.#next.promise;
  }
}

function ends(port: number): SocketEnds {
  return { remote: { hostname: "127.0.0.1", port } };
}

function reaperWith(teardown: Teardown, clock: ManualClock, torn?: number[]) {
  return new SocketReaper({
    graceMs: GRACE_MS,
    teardown,
    clock,
    onTornDown: () => torn?.push(clock.now()),
  });
}

Deno.test("SocketReaper tears a socket down once the grace period has passed without its close", async () => {
  const clock = new ManualClock();
  const teardown = new RecordingTeardown();
  const torn: number[] = [];
  using reaper = reaperWith(teardown, clock, torn);
  const watchedAt = clock.now();
  reaper.watch("c1", ends(50_001), new Promise(() => {}));
  const timer = await clock.timer(GRACE_MS);
  assert.deepEqual(teardown.batches, []);
  const batch = teardown.nextBatch();
  clock.fire(timer);
  assert.deepEqual(await batch, [ends(50_001)]);
  await Promise.resolve();
  assert.deepEqual(torn, [watchedAt + GRACE_MS]);
  assert.equal(reaper.watching, 0);
});

Deno.test("SocketReaper leaves a socket that closes within the grace period", async () => {
  const clock = new ManualClock();
  const teardown = new RecordingTeardown();
  using reaper = reaperWith(teardown, clock);
  const closes = Promise.withResolvers<void>();
  reaper.watch("closes", ends(50_001), closes.promise);
  reaper.watch("stays", ends(50_002), new Promise(() => {}));
  closes.resolve();
  await closes.promise;
  assert.equal(reaper.watching, 1);
  const timer = await clock.timer(GRACE_MS);
  const batch = teardown.nextBatch();
  clock.fire(timer);
  assert.deepEqual(await batch, [ends(50_002)]);
  assert.equal(teardown.batches.length, 1);
});

Deno.test("SocketReaper hands the sockets due together to the teardown as one batch", async () => {
  const clock = new ManualClock();
  const teardown = new RecordingTeardown();
  using reaper = reaperWith(teardown, clock);
  for (const port of [50_001, 50_002, 50_003]) {
    reaper.watch(`c${port}`, ends(port), new Promise(() => {}));
  }
  const timer = await clock.timer(GRACE_MS);
  const batch = teardown.nextBatch();
  clock.fire(timer);
  assert.deepEqual(await batch, [
    ends(50_001),
    ends(50_002),
    ends(50_003),
  ]);
  assert.deepEqual(clock.timers, []);
});

Deno.test("SocketReaper.ready() names the setting and what to run when a permission is missing", async () => {
  using reaper = new SocketReaper({
    graceMs: GRACE_MS,
    teardown: {
      tearDown: () => Promise.reject(new Error("unused")),
      ready: () =>
        Promise.reject(
          new Deno.errors.NotCapable("--allow-ffi is not granted"),
        ),
    },
  });
  await assert.rejects(
    reaper.ready(),
    (error) =>
      error instanceof ConfigError &&
      error.message ===
        "Cannot turn CHAT_SOCKET_REAPER on: --allow-ffi is not granted; run deno task start:reaper, or grant it to deno run",
  );
});

Deno.test("SocketReaper watches nothing once disposed of", async () => {
  const clock = new ManualClock();
  const reaper = reaperWith(new RecordingTeardown(), clock);
  reaper.watch("c1", ends(50_001), new Promise(() => {}));
  assert.equal(clock.timers.length, 1);
  reaper[Symbol.dispose]();
  assert.deepEqual(clock.timers, []);
  reaper.watch("c2", ends(50_002), new Promise(() => {}));
  assert.equal(reaper.watching, 0);
  assert.deepEqual(clock.timers, []);
  await Promise.resolve();
});

/**
 * Settings under which a peer that asks for history and never reads is cut
 * off (1013) quickly, and nothing else ends its socket: no ping timeout,
 * and no limit on its requests but the send buffer's.
 */
const STALLING = [
  "--rate-limit",
  "1000",
  "--rate-burst",
  "1000",
  "--rate-limit-strikes",
  "1000000",
  "--max-buffered-bytes",
  "262144",
  "--idle-timeout",
  "0",
  "--close-timeout",
  "500",
  "--log-level",
  "warn",
];

/** The server's metrics, read on a connection of their own. */
async function metrics(port: number): Promise<string> {
  return await fetchOnce(port, "/metrics");
}

/**
 * Stores 100 messages of 4 KB, then opens a `chat.v1` peer that asks for
 * them 200 times over without reading a byte, until the server has cut it
 * off as a slow consumer. The kernel buffers are full by then, so Deno
 * cannot write the close frame and keeps the socket CLOSING.
 */
async function stalledPeer(child: ServerProcess): Promise<RawPeer> {
  const port = Number(new URL(child.url).port);
  const wsUrl = `ws://127.0.0.1:${port}/ws`;
  const { client } = await connectJson(wsUrl);
  await using _ = client;
  for (let i = 0; i < 100; i++) {
    client.sendJson({ type: "send", text: "h".repeat(4000), nonce: `${i}` });
  }
  for (let i = 0; i < 100; i++) await client.nextOfType("ack");
  const peer = await RawPeer.open(port, { protocol: JSON_PROTOCOL });
  const request = encodeFrame(
    Opcode.text,
    new TextEncoder().encode(
      '{"type":"history","room":"general","before":101}',
    ),
  );
  await peer.send(Opcode.text, '{"type":"join","room":"general"}');
  for (let i = 0; i < 200; i++) await peer.write(request);
  await waitFor(
    async () => /^chat_slow_consumers_total 1$/m.test(await metrics(port)),
    `the cut-off:\n${child.stderr()}`,
  );
  return peer;
}

Deno.test("main.ts with CHAT_SOCKET_REAPER tears down the socket of a cut-off peer that never reads", async (t) => {
  for (const acceptLoop of ["own", "deno"]) {
    await t.step(`--accept-loop ${acceptLoop}`, async () => {
      await using child = await spawnServer(
        [...STALLING, "--accept-loop", acceptLoop, "--socket-reaper", "true"],
        { permissions: await taskPermissions("start:reaper") },
      );
      const port = Number(new URL(child.url).port);
      using peer = await stalledPeer(child);
      await waitFor(
        async () =>
          /^chat_sockets_torn_down_total 1$/m.test(await metrics(port)),
        `the teardown:\n${child.stderr()}`,
      );
      // Deno saw its socket end: the own loop's count is down to the
      // scrape's own connection.
      if (acceptLoop === "own") {
        assert.match(await metrics(port), /^chat_tcp_connections 1$/m);
      }
      // The peer's connection has ended. Whether its close frame got out
      // first depends on how full the kernel buffers were at the cut-off.
      await peer.readToEnd();
    });
  }
});

Deno.test("main.ts without CHAT_SOCKET_REAPER keeps that socket until the peer reads", async () => {
  await using child = await spawnServer([...STALLING, "--accept-loop", "own"]);
  await using reaping = await spawnServer(
    [...STALLING, "--accept-loop", "own", "--socket-reaper", "true"],
    { permissions: await taskPermissions("start:reaper") },
  );
  const port = Number(new URL(child.url).port);
  using peer = await stalledPeer(child);
  // The same cut-off, later, on a server with the reaper: once that one is
  // torn down, this one would have been too.
  using _reaped = await stalledPeer(reaping);
  await waitFor(
    async () =>
      /^chat_sockets_torn_down_total 1$/m.test(
        await metrics(Number(new URL(reaping.url).port)),
      ),
    `the teardown:\n${reaping.stderr()}`,
  );
  assert.match(await metrics(port), /^chat_tcp_connections 2$/m);
  // The socket lived on: reading, the peer gets its data and the close code.
  assert.equal(await peer.closeCode(), 1013);
});

Deno.test({
  name:
    "createHandler() with socketReaper tears down the socket Deno closed on a missed pong with data unsent",
  // Deno's own close on the missed pong (its `op_ws_close`) waits behind the
  // unsent frames and fails only once the teardown has reset the socket;
  // the socket's read side may report the reset, and so end this test, a
  // moment before that op settles. The resource sanitizer stays on.
  sanitizeOps: false,
}, async () => {
  // Only the ping timeout can end this peer: buffers and queues too large
  // for the slow-consumer cut-off. Between the ping and the missed pong,
  // the idle timeout leaves a busy machine time to fill the peer's buffers.
  await using server = startTcpServer({
    socketReaper: true,
    closeTimeout: 100,
    idleTimeout: 4,
    maxBufferedBytes: 64 * 1024 * 1024,
    maxQueueLength: 100_000,
    rateLimit: 3000,
    rateBurst: 3000,
  });
  await server.handler.ready();
  const { client: writer } = await connectJson(server.wsUrl);
  await using _ = writer;
  // A plain-text peer in the default room: it takes the ping, never
  // answers, and stops reading; then ~10 MB for it, more than the kernel
  // buffers of a peer that stopped reading hold (its receive window does
  // not grow then), so Deno's socket stays CLOSING once the pong is missed.
  using peer = await RawPeer.open(server.port);
  assert.notEqual(await peer.nextFrame(Opcode.ping), null);
  for (let i = 1; i <= 2500; i++) {
    writer.sendJson({ type: "send", text: "f".repeat(4000), nonce: `${i}` });
  }
  await waitFor(
    () => server.handler.metrics.socketsTornDown.value() === 1,
    "the frozen peer's socket to be torn down",
  );
  // Reset: what the peer had not read is gone.
  assert.equal(await peer.closeCode(), null);
  await waitFor(
    () => server.server.connectionCount === 1,
    "only the writer's TCP connection left",
  );
});
