import assert from "node:assert/strict";
import { waitFor, withTimeout } from "../testing/async.ts";
import { connect } from "../testing/client.ts";
import { RawPeer } from "../testing/raw_peer.ts";
import { startTcpServer } from "../testing/server.ts";
import { Opcode } from "../testing/wire.ts";

const encoder = new TextEncoder();

/** Reads until the server closes the connection; returns the bytes read. */
async function readToEnd(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(4096);
  let text = "";
  while (true) {
    let read: number | null;
    try {
      read = await withTimeout(conn.read(buffer), "the server to close");
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) return text;
      throw error;
    }
    if (read === null) return text;
    text += new TextDecoder().decode(buffer.subarray(0, read));
  }
}

function open(port: number): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port });
}

Deno.test("TcpServer closes connections that do not finish a request within the handshake timeout", async (t) => {
  const timeout = 300;
  await using server = startTcpServer({ handshakeTimeout: timeout });
  // Opened first: were the deadline to apply to an upgraded socket, it
  // would pass before the cases below end.
  await using client = await connect(server.wsUrl);
  const cases: [string, (conn: Deno.TcpConn) => Promise<void>][] = [
    ["silent", async () => {}],
    ["trickling its headers", async (conn) => {
      const request = encoder.encode(
        `GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ${"a".repeat(100)}\r\n`,
      );
      for (const byte of request) {
        try {
          await conn.write(new Uint8Array([byte]));
        } catch {
          return; // closed by the server
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }],
    ["idle after a response", async (conn) => {
      await conn.write(
        encoder.encode("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
      );
    }],
  ];
  for (const [name, behave] of cases) {
    await t.step(name, async () => {
      const conn = await open(server.port);
      try {
        const started = performance.now();
        const [received] = await Promise.all([readToEnd(conn), behave(conn)]);
        const elapsed = performance.now() - started;
        assert(elapsed >= timeout - 20, `closed after ${elapsed} ms`);
        if (name.startsWith("idle")) assert.match(received, /^HTTP\/1.1 200/);
      } finally {
        conn.close();
      }
    });
  }
  client.socket.send("still open");
  assert.equal(await client.nextFrame(), "still open");
  await waitFor(() => server.server.connectionCount === 1, "one connection");
});

Deno.test("TcpServer refuses connections over the per-address cap with 503", async () => {
  await using server = startTcpServer({ maxConnectionsPerAddress: 2 });
  const held = [await open(server.port), await open(server.port)];
  try {
    await waitFor(() => server.server.connectionCount === 2, "two connections");
    const refused = await open(server.port);
    try {
      const response = await readToEnd(refused);
      assert.match(response, /^HTTP\/1.1 503 Service Unavailable\r\n/);
      assert.match(response, /\r\nRetry-After: 5\r\n/);
      assert.match(response, /too many connections from your address\n$/);
    } finally {
      refused.close();
    }
    held.pop()!.close();
    await waitFor(() => server.server.connectionCount === 1, "a free slot");
    const res = await fetch(`${server.origin}/healthz`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  } finally {
    for (const conn of held) conn.close();
  }
});

Deno.test("TcpServer counts a socket the server ended until its peer closes it", async () => {
  await using server = startTcpServer({
    maxConnectionsPerAddress: 1,
    idleTimeout: 0,
  });
  const peer = await RawPeer.open(server.port);
  try {
    await peer.send(Opcode.binary, new Uint8Array([1, 2, 3]));
    assert.equal(await peer.closeCode(), 1003);
    // The connection has ended, its socket has not: the peer neither
    // answers the close nor goes away.
    await waitFor(() => server.handler.connectionCount === 0, "the end");
    assert.equal(server.server.connectionCount, 1);
    const refused = await open(server.port);
    try {
      assert.match(await readToEnd(refused), /^HTTP\/1.1 503/);
    } finally {
      refused.close();
    }
  } finally {
    peer[Symbol.dispose]();
  }
  await waitFor(() => server.server.connectionCount === 0, "the socket's end");
  const res = await fetch(`${server.origin}/healthz`);
  assert.equal(res.status, 200);
  await res.body?.cancel();
});
