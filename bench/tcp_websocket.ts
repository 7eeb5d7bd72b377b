/**
 * A WebSocket client over a raw TCP connection with Nagle's algorithm off,
 * the way browsers open theirs, for the soak runs' load generator.
 *
 * Deno's own `WebSocket` client leaves Nagle's algorithm on and writes a
 * frame's header and payload separately: a frame over a few hundred bytes
 * then waits for the server's delayed ACK, about 40 ms on Linux loopback
 * (measured here), and that delay would be counted as the server's
 * latency. This client writes each frame in one piece on a `TCP_NODELAY`
 * socket.
 *
 * @module
 */
import { encodeFrame, Opcode } from "../testing/wire.ts";

/** Close code reported when the connection ends without a close frame. */
export const ABNORMAL_CLOSURE = 1006;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Options of {@linkcode TcpWebSocket.connect}. */
export interface TcpWebSocketOptions {
  /** The subprotocol to offer. */
  protocol: string;
  /** Called with each text message, from the first frame on. */
  onText: (text: string) => void;
}

/** A client WebSocket on a `Deno.TcpConn`; text frames only. */
export class TcpWebSocket implements Disposable {
  readonly #onText: (text: string) => void;
  readonly #conn: Deno.TcpConn;
  readonly #closed = Promise.withResolvers<number>();
  /** Reused for every read: frames are handled before the next one. */
  readonly #readBuffer = new Uint8Array(16384);
  #writing: Promise<void> = Promise.resolve();
  #open = true;
  #readingStopped = false;
  readonly #dropped = Promise.withResolvers<void>();

  private constructor(conn: Deno.TcpConn, onText: (text: string) => void) {
    this.#conn = conn;
    this.#onText = onText;
  }

  /**
   * Connects and completes the opening handshake.
   *
   * @param url A `ws://` URL.
   * @param options The subprotocol and the message handler.
   * @returns The open socket.
   * @throws {Error} When the server refuses the upgrade.
   */
  static async connect(
    url: string,
    options: TcpWebSocketOptions,
  ): Promise<TcpWebSocket> {
    const { hostname, port, pathname, search, host } = new URL(url);
    const conn = await Deno.connect({ hostname, port: Number(port) });
    conn.setNoDelay(true);
    const key = btoa(
      String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))),
    );
    const request = `GET ${pathname}${search} HTTP/1.1\r\nHost: ${host}\r\n` +
      `Upgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
      `Sec-WebSocket-Protocol: ${options.protocol}\r\n\r\n`;
    const socket = new TcpWebSocket(conn, options.onText);
    try {
      await socket.#writeAll(encoder.encode(request));
      const rest = await socket.#readHead();
      socket.#readLoop(rest).catch(() => {}).finally(() => socket.#finish());
    } catch (error) {
      conn.close();
      throw error;
    }
    return socket;
  }

  /** Resolves with the close code once the connection has ended. */
  get closed(): Promise<number> {
    return this.#closed.promise;
  }

  /** Whether the connection is still open for sending. */
  get open(): boolean {
    return this.#open;
  }

  /** Sends one text message, as one write. */
  send(text: string): void {
    if (!this.#open) return;
    this.#write(encodeFrame(Opcode.text, encoder.encode(text)));
  }

  /** Starts the closing handshake; {@linkcode closed} resolves when it ends. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#write(encodeFrame(Opcode.close, new Uint8Array([0x03, 0xe8])));
  }

  /**
   * Stops reading once the frames already read are handled: what the server
   * sends next piles up in the socket buffers, as with a client that froze.
   */
  stopReading(): void {
    this.#readingStopped = true;
  }

  /** Drops the TCP connection without a closing handshake; with unread data the kernel resets it. */
  [Symbol.dispose](): void {
    this.#open = false;
    this.#dropped.resolve();
    closeQuietly(this.#conn);
  }

  #write(frame: Uint8Array): void {
    this.#writing = this.#writing.then(() => this.#writeAll(frame))
      .catch(() => {});
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) {
      at += await this.#conn.write(bytes.subarray(at));
    }
  }

  /** Reads the handshake response; returns the bytes read past it. */
  async #readHead(): Promise<Uint8Array> {
    let data: Uint8Array = new Uint8Array(0);
    while (true) {
      const end = indexOfBlankLine(data);
      if (end >= 0) {
        const head = decoder.decode(data.subarray(0, end));
        if (!head.startsWith("HTTP/1.1 101")) {
          throw new Error(`Cannot upgrade: ${head.split("\r\n")[0]}`);
        }
        return data.slice(end);
      }
      const chunk = await this.#read();
      if (chunk === null) throw new Error("Cannot upgrade: connection closed");
      data = concat(data, chunk.slice());
    }
  }

  async #read(): Promise<Uint8Array | null> {
    const n = await this.#conn.read(this.#readBuffer);
    return n === null ? null : this.#readBuffer.subarray(0, n);
  }

  async #readLoop(initial: Uint8Array): Promise<void> {
    let data: Uint8Array = initial;
    let fragments: Uint8Array[] = [];
    while (true) {
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
            new DataView(data.buffer, data.byteOffset + at + 2, 8)
              .getBigUint64(0),
          );
          start += 8;
        }
        const end = start + length;
        if (end > data.length) break;
        const payload = data.subarray(start, end);
        at = end;
        if (opcode === Opcode.close) {
          this.#closed.resolve(
            payload.length < 2 ? 1005 : (payload[0]! << 8) | payload[1]!,
          );
          this.close();
          return;
        }
        if (opcode === Opcode.ping) {
          this.#write(encodeFrame(Opcode.pong, payload.slice()));
        } else if (opcode === Opcode.text || opcode === 0) {
          fragments.push(payload);
          if (fin) {
            this.#onText(decoder.decode(concat(...fragments)));
            fragments = [];
          }
        }
      }
      // What is left points into the read buffer, which the next read
      // overwrites: copy it first.
      fragments = fragments.map((fragment) => fragment.slice());
      const rest = data.slice(at);
      if (this.#readingStopped) return await this.#dropped.promise;
      const chunk = await this.#read();
      if (chunk === null) return;
      data = concat(rest, chunk);
    }
  }

  #finish(): void {
    this.#open = false;
    this.#closed.resolve(ABNORMAL_CLOSURE);
    this.#writing.finally(() => closeQuietly(this.#conn));
  }
}

function closeQuietly(conn: Deno.TcpConn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const nonEmpty = parts.filter((part) => part.length > 0);
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  const joined = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

/** Offset just past the blank line that ends an HTTP head, or -1. */
function indexOfBlankLine(data: Uint8Array): number {
  for (let i = 3; i < data.length; i++) {
    if (
      data[i] === 0x0a && data[i - 1] === 0x0d && data[i - 2] === 0x0a &&
      data[i - 3] === 0x0d
    ) return i + 1;
  }
  return -1;
}
