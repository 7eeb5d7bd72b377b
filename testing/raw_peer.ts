/**
 * A WebSocket peer written on raw TCP, for tests that must send what a
 * well-behaved client never would: invalid UTF-8, bad framing, half a
 * request, or a connection that dies without a close frame.
 *
 * @module
 */
import { withTimeout } from "./async.ts";
import {
  closeCodeOf,
  encodeFrame,
  Opcode,
  readFrames,
  type UpgradeOptions,
  upgradeTcp,
  writeAll,
} from "./wire.ts";

/** One frame the server sent. */
export interface ServerFrame {
  opcode: number;
  payload: Uint8Array;
}

/** A raw TCP connection after a successful WebSocket handshake. */
export class RawPeer implements Disposable {
  readonly conn: Deno.TcpConn;
  #buffer: Uint8Array<ArrayBuffer>;
  #closed = false;

  /** Takes `conn` after its handshake, with the bytes read past the head. */
  constructor(conn: Deno.TcpConn, rest = new Uint8Array(0)) {
    this.conn = conn;
    this.#buffer = rest;
  }

  /**
   * Connects to `/ws` on `port` and completes the handshake, offering
   * `options.protocol` when given (`chat.v1` for a JSON peer).
   */
  static async open(
    port: number,
    options: UpgradeOptions = {},
  ): Promise<RawPeer> {
    const { conn, rest } = await upgradeTcp(
      `ws://127.0.0.1:${port}/ws`,
      options,
    );
    return new RawPeer(conn, rest);
  }

  /** Writes bytes as they are, all of them. */
  async write(bytes: Uint8Array): Promise<void> {
    await writeAll(this.conn, bytes);
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
      if (frame.opcode === Opcode.close) return closeCodeOf(frame.payload);
    }
  }

  /** Reads and drops frames until the connection ends, reset or closed. */
  async readToEnd(): Promise<void> {
    while (await withTimeout(this.#readFrame(), "the end of the stream"));
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

  /** Reads more bytes into the buffer; `false` when the connection ended. */
  async #fill(): Promise<boolean> {
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
    return true;
  }

  async #readFrame(): Promise<ServerFrame | null> {
    while (true) {
      const frames: ServerFrame[] = [];
      const used = readFrames(this.#buffer, (opcode, _fin, start, end) => {
        frames.push({ opcode, payload: this.#buffer.slice(start, end) });
        return false;
      });
      const [frame] = frames;
      if (frame !== undefined) {
        this.#buffer = this.#buffer.slice(used);
        return frame;
      }
      if (!await this.#fill()) return null;
    }
  }
}
