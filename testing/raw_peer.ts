/**
 * A WebSocket peer written on raw TCP, for tests that must send what a
 * well-behaved client never would: invalid UTF-8, bad framing, half a
 * request, or a connection that dies without a close frame.
 *
 * @module
 */
import { withTimeout } from "./async.ts";
import { encodeFrame, Opcode, openSilentPeer } from "./wire.ts";

/** One frame the server sent. */
export interface ServerFrame {
  opcode: number;
  payload: Uint8Array;
}

/** A raw TCP connection after a successful WebSocket handshake. */
export class RawPeer implements Disposable {
  readonly conn: Deno.TcpConn;
  #buffer = new Uint8Array(0);
  #closed = false;

  constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /** Connects to `/ws` on `port` and completes the handshake. */
  static async open(port: number): Promise<RawPeer> {
    return new RawPeer(await openSilentPeer(port));
  }

  /** Writes bytes as they are. */
  async write(bytes: Uint8Array): Promise<void> {
    await this.conn.write(bytes);
  }

  /**
   * Writes `bytes` over and over, like a client that keeps sending, until
   * `signal` aborts or the server ends the connection.
   */
  async keepSending(bytes: Uint8Array, signal: AbortSignal): Promise<void> {
    try {
      while (!signal.aborted) await this.write(bytes);
    } catch (error) {
      if (
        !(error instanceof Deno.errors.BrokenPipe) &&
        !(error instanceof Deno.errors.ConnectionReset) &&
        !(error instanceof Deno.errors.BadResource)
      ) throw error;
    }
  }

  /** Writes one masked frame. */
  async send(opcode: number, payload: Uint8Array | string): Promise<void> {
    const bytes = typeof payload === "string"
      ? new TextEncoder().encode(payload)
      : payload;
    await this.write(encodeFrame(opcode, bytes));
  }

  /**
   * Reads frames until a close frame or the end of the stream.
   *
   * @returns The close code the server sent, or `null` when the connection
   *   ended without a close frame.
   */
  async closeCode(): Promise<number | null> {
    while (true) {
      const frame = await withTimeout(this.#readFrame(), "a close frame");
      if (frame === null) return null;
      if (frame.opcode !== Opcode.close) continue;
      if (frame.payload.length < 2) return 1005;
      return (frame.payload[0]! << 8) | frame.payload[1]!;
    }
  }

  /**
   * Reads frames until one with `opcode` arrives.
   *
   * @returns That frame, or `null` when the connection ended first.
   */
  async nextFrame(opcode: number): Promise<ServerFrame | null> {
    while (true) {
      const frame = await withTimeout(this.#readFrame(), `opcode ${opcode}`);
      if (frame === null || frame.opcode === opcode) return frame;
    }
  }

  /** Closes the TCP connection without a close frame; idempotent. */
  [Symbol.dispose](): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  }

  async #fill(size: number): Promise<boolean> {
    while (this.#buffer.length < size) {
      const chunk = new Uint8Array(65536);
      let read: number | null;
      try {
        read = await this.conn.read(chunk);
      } catch (error) {
        if (error instanceof Deno.errors.ConnectionReset) return false;
        throw error;
      }
      if (read === null) return false;
      const joined = new Uint8Array(this.#buffer.length + read);
      joined.set(this.#buffer);
      joined.set(chunk.subarray(0, read), this.#buffer.length);
      this.#buffer = joined;
    }
    return true;
  }

  async #readFrame(): Promise<ServerFrame | null> {
    if (!await this.#fill(2)) return null;
    const opcode = this.#buffer[0]! & 0x0f;
    let length = this.#buffer[1]! & 0x7f;
    let header = 2;
    if (length === 126) {
      if (!await this.#fill(4)) return null;
      length = (this.#buffer[2]! << 8) | this.#buffer[3]!;
      header = 4;
    } else if (length === 127) {
      if (!await this.#fill(10)) return null;
      length = Number(new DataView(this.#buffer.buffer).getBigUint64(2));
      header = 10;
    }
    if (!await this.#fill(header + length)) return null;
    const payload = this.#buffer.slice(header, header + length);
    this.#buffer = this.#buffer.slice(header + length);
    return { opcode, payload };
  }
}
