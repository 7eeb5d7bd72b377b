/**
 * The WebSocket wire for peers written on raw TCP: the opening handshake,
 * client frames and the parsing of server frames, for tests and load tools
 * that must do what a well-behaved client never would, or do it faster.
 *
 * @module
 */

/** WebSocket opcodes (RFC 6455 section 5.2). */
export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** The close code a close frame without one stands for (RFC 6455 section 7.1.5). */
export const NO_STATUS_RECEIVED = 1005;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes one final, masked client frame, ready to be written in one piece.
 *
 * @param opcode The frame's opcode.
 * @param payload Its payload.
 * @returns The bytes to write.
 *
 * @example A masked "hi"
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame, Opcode } from "./wire.ts";
 *
 * const frame = encodeFrame(Opcode.text, new TextEncoder().encode("hi"));
 * assert.deepEqual([frame[0], frame[1]], [0x81, 0x82]);
 * assert.equal(frame[6]! ^ frame[2]!, "h".charCodeAt(0));
 * ```
 */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = new Uint8Array(header + 4 + length);
  frame[0] = 0x80 | opcode;
  if (header === 2) frame[1] = 0x80 | length;
  else if (header === 4) {
    frame[1] = 0x80 | 126;
    new DataView(frame.buffer).setUint16(2, length);
  } else {
    frame[1] = 0x80 | 127;
    new DataView(frame.buffer).setBigUint64(2, BigInt(length));
  }
  const mask = crypto.getRandomValues(frame.subarray(header, header + 4));
  const offset = header + 4;
  for (let i = 0; i < length; i++) {
    frame[offset + i] = payload[i]! ^ mask[i & 3]!;
  }
  return frame;
}

/**
 * Called for each complete frame {@linkcode readFrames} finds, with the
 * bounds of its payload in the data; returning `false` stops the reading
 * after this frame.
 */
export type FrameHandler = (
  opcode: number,
  fin: boolean,
  start: number,
  end: number,
) => boolean | void;

/**
 * Reads the complete (unmasked) server frames at the start of `data`,
 * without copying their payloads.
 *
 * @param data Bytes read from the server.
 * @param onFrame Called for each complete frame, in order.
 * @returns The offset just past the last frame handled: the rest is the
 *   start of a frame that has not fully arrived.
 *
 * @example Two frames and the start of a third
 * ```ts
 * import assert from "node:assert/strict";
 * import { Opcode, readFrames } from "./wire.ts";
 *
 * const data = new Uint8Array([0x81, 1, 0x61, 0x89, 0, 0x81, 5, 0x62]);
 * const seen: number[] = [];
 * assert.equal(readFrames(data, (opcode) => void seen.push(opcode)), 5);
 * assert.deepEqual(seen, [Opcode.text, Opcode.ping]);
 * ```
 */
export function readFrames(data: Uint8Array, onFrame: FrameHandler): number {
  let at = 0;
  while (data.length - at >= 2) {
    const fin = (data[at]! & 0x80) !== 0;
    const opcode = data[at]! & 0x0f;
    let length = data[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) {
      if (data.length - at < 4) break;
      length = (data[at + 2]! << 8) | data[at + 3]!;
      start += 2;
    } else if (length === 127) {
      if (data.length - at < 10) break;
      length = Number(
        new DataView(data.buffer, data.byteOffset + at + 2, 8).getBigUint64(0),
      );
      start += 8;
    }
    const end = start + length;
    if (end > data.length) break;
    at = end;
    if (onFrame(opcode, fin, start, end) === false) break;
  }
  return at;
}

/**
 * The close code in a close frame's payload.
 *
 * @param payload The close frame's payload.
 * @returns Its code, or {@linkcode NO_STATUS_RECEIVED} when it has none.
 */
export function closeCodeOf(payload: Uint8Array): number {
  return payload.length < 2
    ? NO_STATUS_RECEIVED
    : (payload[0]! << 8) | payload[1]!;
}

/** Options for {@linkcode upgradeTcp}. */
export interface UpgradeOptions {
  /** The subprotocol to offer; none when absent. */
  protocol?: string;
  /**
   * Turns Nagle's algorithm off, as browsers do: each write leaves at once.
   *
   * @default {false}
   */
  noDelay?: boolean;
}

/** A TCP connection after a successful opening handshake. */
export interface UpgradedConn {
  conn: Deno.TcpConn;
  /** Bytes the server sent after its response head: the start of its first frames. */
  rest: Uint8Array<ArrayBuffer>;
}

/**
 * Connects to a `ws://` URL over raw TCP and completes the opening handshake.
 *
 * @param url The URL to upgrade: host, path and query are sent as they are.
 * @param options The subprotocol and whether to turn Nagle's algorithm off.
 * @returns The open connection and what the server sent past its head.
 * @throws {Error} When the server answers anything but 101, or hangs up.
 */
export async function upgradeTcp(
  url: string | URL,
  options: UpgradeOptions = {},
): Promise<UpgradedConn> {
  const { hostname, port, pathname, search, host } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    if (options.noDelay) conn.setNoDelay(true);
    const key = btoa(
      String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))),
    );
    const protocol = options.protocol === undefined
      ? ""
      : `Sec-WebSocket-Protocol: ${options.protocol}\r\n`;
    await writeAll(
      conn,
      encoder.encode(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${host}\r\n` +
          "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
          `${protocol}\r\n`,
      ),
    );
    const { head, rest } = await readHead(conn);
    if (!head.startsWith("HTTP/1.1 101")) {
      throw new Error(`Cannot upgrade: ${head.split("\r\n")[0]}`);
    }
    return { conn, rest };
  } catch (error) {
    conn.close();
    throw error;
  }
}

/**
 * Performs a WebSocket handshake over raw TCP and then never reads or answers
 * pings: a peer that is dead or too slow.
 *
 * @param port The server's loopback port.
 * @param path Path and query to upgrade.
 * @returns The open connection; close it when done.
 */
export async function openSilentPeer(
  port: number,
  path = "/ws",
): Promise<Deno.TcpConn> {
  return (await upgradeTcp(`ws://127.0.0.1:${port}${path}`)).conn;
}

/**
 * Writes every byte of `bytes`, however many writes that takes.
 *
 * @param conn The connection.
 * @param bytes What to write.
 */
export async function writeAll(
  conn: Deno.TcpConn,
  bytes: Uint8Array,
): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    at += await conn.write(bytes.subarray(at));
  }
}

/** Reads up to the blank line that ends an HTTP response head. */
async function readHead(
  conn: Deno.TcpConn,
): Promise<{ head: string; rest: Uint8Array<ArrayBuffer> }> {
  let data = new Uint8Array(0);
  const chunk = new Uint8Array(4096);
  while (true) {
    const end = indexAfterBlankLine(data);
    if (end >= 0) {
      return {
        head: decoder.decode(data.subarray(0, end)),
        rest: data.slice(end),
      };
    }
    const read = await conn.read(chunk);
    if (read === null) throw new Error("Cannot upgrade: connection closed");
    const joined = new Uint8Array(data.length + read);
    joined.set(data);
    joined.set(chunk.subarray(0, read), data.length);
    data = joined;
  }
}

/** Offset just past the blank line that ends an HTTP head, or -1. */
function indexAfterBlankLine(data: Uint8Array): number {
  for (let i = 3; i < data.length; i++) {
    if (
      data[i] === 0x0a && data[i - 1] === 0x0d && data[i - 2] === 0x0a &&
      data[i - 3] === 0x0d
    ) return i + 1;
  }
  return -1;
}
