import assert from "node:assert/strict";
import { RawPeer } from "../testing/raw_peer.ts";
import { withTimeout } from "../testing/async.ts";
import { SocketTeardown } from "./socket_teardown.ts";

/** 64 KiB of text: sent until the peer's buffers are full. */
const CHUNK = "x".repeat(65_536);

/**
 * A server whose one WebSocket's peer never reads: it is sent more than the
 * kernel buffers hold and closed, so Deno keeps it CLOSING for good.
 */
async function stuckSocket() {
  const upgraded = Promise.withResolvers<
    { socket: WebSocket; remote: Deno.NetAddr }
  >();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req, info) => {
      const remote = info.remoteAddr;
      const { socket, response } = Deno.upgradeWebSocket(req, {
        idleTimeout: 0,
      });
      upgraded.resolve({ socket, remote });
      return response;
    },
  );
  const peer = await RawPeer.open(server.addr.port);
  const { socket, remote } = await upgraded.promise;
  if (socket.readyState !== WebSocket.OPEN) {
    await new Promise((resolve) => socket.onopen = resolve);
  }
  // Deno takes what the kernel buffers hold at once; the rest stays queued.
  for (let sent = 0; sent < 16_000_000; sent += CHUNK.length) {
    socket.send(CHUNK);
  }
  const closed = new Promise<void>((resolve) =>
    socket.addEventListener("close", () => resolve(), { once: true })
  );
  socket.close(1013, "Slow consumer");
  return {
    server,
    peer,
    closed,
    ends: { remote, local: server.addr },
    async [Symbol.asyncDispose]() {
      peer[Symbol.dispose]();
      await closed;
      await server.shutdown();
    },
  };
}

Deno.test("SocketTeardown.tearDown() ends a WebSocket Deno keeps closing for a peer that never reads", async () => {
  await using stuck = await stuckSocket();
  using teardown = new SocketTeardown();
  await teardown.ready();
  const report = await teardown.tearDown([stuck.ends]);
  assert.deepEqual(report.results, [{ outcome: "torn_down" }]);
  await withTimeout(stuck.closed, "the socket's close event");
  // The reset drops what the peer had not read: no close frame reaches it.
  assert.equal(await stuck.peer.closeCode(), null);
});

Deno.test("SocketTeardown.tearDown() leaves a socket alone unless both ends match", async () => {
  await using stuck = await stuckSocket();
  using teardown = new SocketTeardown();
  const { remote, local } = stuck.ends;
  const report = await teardown.tearDown([
    { remote, local: { ...local, port: local.port + 1 } },
    { remote: { ...remote, hostname: "127.0.0.2" }, local },
    { remote: { ...remote, port: remote.port + 1 }, local },
  ]);
  assert.deepEqual(
    report.results.map((result) => result.outcome),
    ["not_found", "not_found", "not_found"],
  );
  // Still there: the right ends find it.
  const again = await teardown.tearDown([stuck.ends]);
  assert.deepEqual(again.results, [{ outcome: "torn_down" }]);
  await withTimeout(stuck.closed, "the socket's close event");
});

Deno.test("SocketTeardown.tearDown() finds an IPv4 peer by its IPv4-mapped IPv6 spelling", async () => {
  await using stuck = await stuckSocket();
  using teardown = new SocketTeardown();
  const { remote } = stuck.ends;
  const report = await teardown.tearDown([
    { remote: { hostname: "::ffff:127.0.0.1", port: remote.port } },
  ]);
  assert.deepEqual(report.results, [{ outcome: "torn_down" }]);
  await withTimeout(stuck.closed, "the socket's close event");
});

Deno.test("SocketTeardown.tearDown() rejects once disposed of", async () => {
  const teardown = new SocketTeardown();
  await teardown.ready();
  teardown[Symbol.dispose]();
  await assert.rejects(
    teardown.tearDown([{ remote: { hostname: "127.0.0.1", port: 1 } }]),
    /The teardown worker has stopped/,
  );
});
