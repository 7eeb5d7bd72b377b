import assert from "node:assert/strict";
import { RawPeer } from "../testing/raw_peer.ts";
import { encodeFrame, Opcode } from "../testing/wire.ts";
import { withTimeout } from "../testing/async.ts";
import { closeAndDrain } from "./closing_handshake.ts";

/**
 * 16 text frames of 4 KB in one write, for a client that keeps sending; the
 * server reads them all until the close, and large frames keep that short.
 */
const FLOOD = new Uint8Array(
  await new Blob(
    Array.from(
      { length: 16 },
      () =>
        encodeFrame(Opcode.text, new TextEncoder().encode("s".repeat(4000))),
    ),
  ).arrayBuffer(),
);

/**
 * A server that closes each socket at its first frame, and reports each
 * socket's `close` event.
 */
function startClosingServer(now: () => number) {
  const closes: Promise<CloseEvent>[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const { socket, response } = Deno.upgradeWebSocket(req, {
        idleTimeout: 0,
      });
      let ended = false;
      socket.onmessage = () => {
        if (ended) return;
        ended = true;
        closeAndDrain(socket, 1008, "Rate limit exceeded", {
          timeoutMs: 1000,
          now,
        });
      };
      closes.push(
        new Promise((resolve) => socket.addEventListener("close", resolve)),
      );
      return response;
    },
  );
  return { server, closes };
}

Deno.test("closeAndDrain() delivers the close code to a client that keeps sending", async () => {
  const { server, closes } = startClosingServer(() => 0);
  await using _ = server;
  for (let trial = 0; trial < 5; trial++) {
    using peer = await RawPeer.open(server.addr.port);
    const stop = new AbortController();
    const sending = peer.keepSending(FLOOD, stop.signal);
    try {
      assert.equal(await peer.closeCode(), 1008, `trial ${trial}`);
    } finally {
      stop.abort();
      await sending;
    }
    // The peer's close frame ends the closing handshake.
    await peer.send(Opcode.close, new Uint8Array([0x03, 0xe8]));
    await withTimeout(closes[trial]!, "the server's close event");
  }
});

Deno.test("closeAndDrain() drops a peer that goes on sending past the timeout", async () => {
  let time = 0;
  const { server, closes } = startClosingServer(() => time);
  await using _ = server;
  using peer = await RawPeer.open(server.addr.port);
  const stop = new AbortController();
  const sending = peer.keepSending(FLOOD, stop.signal);
  try {
    assert.equal(await peer.closeCode(), 1008);
    // The peer never answers the close; within the timeout the server
    // keeps reading, after it the next frames end the connection.
    time = 1001;
    await withTimeout(closes[0]!, "the server to drop the peer");
  } finally {
    stop.abort();
    await sending;
  }
});
