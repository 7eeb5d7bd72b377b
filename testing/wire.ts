/**
 * The WebSocket wire for peers written on raw TCP: the opening handshake and
 * client frames, for tests and load tools that must do what a well-behaved
 * client never would.
 *
 * @module
 */

/** WebSocket opcodes (RFC 6455 section 5.2). */
export const Opcode = {
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/**
 * Encodes one final, masked client frame.
 *
 * @param opcode The frame's opcode.
 * @param payload Its payload.
 * @returns The bytes to write.
 */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const length = payload.length;
  const extra = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const frame = new Uint8Array(2 + extra + 4 + length);
  const view = new DataView(frame.buffer);
  frame[0] = 0x80 | opcode;
  if (extra === 0) frame[1] = 0x80 | length;
  else if (extra === 2) {
    frame[1] = 0x80 | 126;
    view.setUint16(2, length);
  } else {
    frame[1] = 0x80 | 127;
    view.setBigUint64(2, BigInt(length));
  }
  const mask = crypto.getRandomValues(new Uint8Array(4));
  frame.set(mask, 2 + extra);
  const offset = 2 + extra + 4;
  for (let i = 0; i < length; i++) {
    frame[offset + i] = payload[i]! ^ mask[i % 4]!;
  }
  return frame;
}

/**
 * Performs a WebSocket handshake over raw TCP and then never reads or answers
 * pings: a peer that is dead or too slow. Returns the open connection.
 */
export async function openSilentPeer(
  port: number,
  path = "/ws",
): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const key = btoa(
    String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))),
  );
  const request = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${key}`,
    "Sec-WebSocket-Version: 13",
    "",
    "",
  ].join("\r\n");
  await conn.write(new TextEncoder().encode(request));
  const buffer = new Uint8Array(1024);
  const read = await conn.read(buffer);
  const head = new TextDecoder().decode(buffer.subarray(0, read ?? 0));
  if (!head.startsWith("HTTP/1.1 101")) {
    conn.close();
    throw new Error(`Handshake failed: ${head.split("\r\n")[0]}`);
  }
  return conn;
}
