import assert from "node:assert/strict";
import { startServer } from "./server.ts";
import { RawPeer } from "./raw_peer.ts";
import { Opcode, readFrames, upgradeTcp } from "./wire.ts";

/** An unmasked server frame with `length` bytes of payload. */
function serverFrame(opcode: number, length: number): Uint8Array {
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = new Uint8Array(header + length).fill(0x61);
  frame[0] = 0x80 | opcode;
  const view = new DataView(frame.buffer);
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    view.setUint16(2, length);
  } else {
    frame[1] = 127;
    view.setBigUint64(2, BigInt(length));
  }
  return frame;
}

Deno.test("readFrames() reads 7-, 16- and 64-bit lengths and stops before a partial frame", () => {
  const frames = [5, 300, 70_000].map((n) => serverFrame(Opcode.text, n));
  const partial = serverFrame(Opcode.binary, 300).subarray(0, 3);
  const data = new Uint8Array(
    [...frames, partial].reduce((n, part) => n + part.length, 0),
  );
  let at = 0;
  for (const part of [...frames, partial]) {
    data.set(part, at);
    at += part.length;
  }
  const lengths: number[] = [];
  const used = readFrames(data, (opcode, fin, start, end) => {
    assert.equal(opcode, Opcode.text);
    assert(fin);
    lengths.push(end - start);
  });
  assert.deepEqual(lengths, [5, 300, 70_000]);
  assert.equal(used, data.length - partial.length);
});

Deno.test("upgradeTcp() sends path, query and subprotocol and keeps the frames that came with the head", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    using conn = await listener.accept();
    const buffer = new Uint8Array(4096);
    const read = await conn.read(buffer);
    const request = new TextDecoder().decode(buffer.subarray(0, read ?? 0));
    const head = new TextEncoder().encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
    );
    const frame = serverFrame(Opcode.text, 3);
    const reply = new Uint8Array(head.length + frame.length);
    reply.set(head);
    reply.set(frame, head.length);
    await conn.write(reply);
    return request;
  })();
  const { conn, rest } = await upgradeTcp(
    `ws://127.0.0.1:${listener.addr.port}/ws?name=Ada`,
    { protocol: "chat.v1" },
  );
  conn.close();
  const request = await served;
  assert.match(request, /^GET \/ws\?name=Ada HTTP\/1\.1\r\n/);
  assert.match(request, /\r\nSec-WebSocket-Protocol: chat\.v1\r\n/);
  assert.deepEqual(rest, serverFrame(Opcode.text, 3));
});

Deno.test("upgradeTcp() fails with the status line when the server refuses", async () => {
  await using server = startServer();
  await assert.rejects(
    upgradeTcp(server.wsUrl, { protocol: "mqtt" }),
    /^Error: Cannot upgrade: HTTP\/1\.1 400 Bad Request$/,
  );
});

Deno.test("encodeFrame() writes frames the server reads, at every length size", async () => {
  await using server = startServer({ maxMessageBytes: 70_000 });
  using peer = await RawPeer.open(server.port);
  for (const length of [5, 300, 70_000]) {
    const text = "é".repeat(length / 5) + "abc".repeat(length / 5);
    await peer.send(Opcode.text, text);
    const echoed = await peer.nextFrame(Opcode.text);
    assert.equal(new TextDecoder().decode(echoed?.payload), text);
  }
});
