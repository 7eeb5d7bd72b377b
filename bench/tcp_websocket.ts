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
import {
  closeCodeOf,
  encodeFrame,
  Opcode,
  readFrames,
  upgradeTcp,
  writeAll,
} from "../testing/wire.ts";

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
  #closeReceived = false;
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
    const { conn, rest } = await upgradeTcp(url, {
      protocol: options.protocol,
      noDelay: true,
    });
    const socket = new TcpWebSocket(conn, options.onText);
    socket.#readLoop(rest).catch(() => {}).finally(() => socket.#finish());
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
    this.#writing = this.#writing.then(() => writeAll(this.#conn, frame))
      .catch(() => {});
  }

  async #read(): Promise<Uint8Array | null> {
    const n = await this.#conn.read(this.#readBuffer);
    return n === null ? null : this.#readBuffer.subarray(0, n);
  }

  async #readLoop(initial: Uint8Array): Promise<void> {
    let data: Uint8Array = initial;
    let fragments: Uint8Array[] = [];
    while (true) {
      const used = readFrames(data, (opcode, fin, start, end) => {
        const payload = data.subarray(start, end);
        if (opcode === Opcode.close) {
          this.#closeReceived = true;
          this.#closed.resolve(closeCodeOf(payload));
          this.close();
          return false;
        }
        if (opcode === Opcode.ping) {
          this.#write(encodeFrame(Opcode.pong, payload.slice()));
        } else if (opcode === Opcode.text || opcode === Opcode.continuation) {
          fragments.push(payload);
          if (fin) {
            this.#onText(decoder.decode(concat(...fragments)));
            fragments = [];
          }
        }
      });
      if (this.#closeReceived) return;
      // What is left points into the read buffer, which the next read
      // overwrites: copy it first.
      fragments = fragments.map((fragment) => fragment.slice());
      const rest = data.slice(used);
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
