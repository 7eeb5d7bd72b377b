/**
 * One load socket: a WebSocket on raw TCP that reads many frames per read,
 * counts the stamps `@P.T` in them, times its own process's messages, checks
 * the order of `chat.v1` ids, and answers pings and closes.
 *
 * @module
 */
import {
  encodeFrame,
  Opcode,
  readFrames,
  upgradeTcp,
  writeAll,
} from "../testing/wire.ts";
import type { LoadClientSettings } from "./load_client.ts";
import { isAck, joinFrame, messageFrame } from "./_load_frames.ts";
import { latencies, phase, totals } from "./_load_state.ts";

const AT = 0x40; // "@"
const DOT = 0x2e; // "."
const ZERO = 0x30;
/** How a chat message starts, up to its id (`type`, then `id`, as every server here writes it). */
const MESSAGE_PREFIX = new TextEncoder().encode('{"type":"message","id":');
const BRACE = 0x7b; // "{"

/**
 * One connection of the load process. Its counts and latencies go into the
 * process's shared `totals` and `latencies`.
 */
export class Socket {
  /** The TCP connection, once {@linkcode Socket.open} has upgraded it. */
  conn!: Deno.TcpConn;
  #writing: Promise<void> = Promise.resolve();
  #greeted = false;
  /** Whether the join was sent and its answer has not come yet. */
  #awaitingJoin = false;
  /** Id of the last `chat.v1` message this socket got (one room: ids only go up). */
  #lastId = 0;
  /** When the `send` now awaiting its `ack` left, in ms; -1 when none is. */
  #ackPendingSince = -1;
  #nonce = 0;
  /** Settles once the socket is open and, in `chat.v1`, has joined; rejects when it closes first. */
  readonly ready = Promise.withResolvers<void>();

  /**
   * Makes a socket that is not open yet.
   *
   * @param settings The process's settings: URL, protocol, index, read buffer.
   */
  constructor(readonly settings: LoadClientSettings) {}

  /**
   * Connects, upgrades and, in `chat.v1`, joins the room.
   *
   * @returns When the socket is ready to count deliveries.
   * @throws {Error} When the upgrade fails or the server closes first.
   */
  async open(): Promise<void> {
    const { conn, rest } = await upgradeTcp(this.settings.url, {
      protocol: this.settings.mode === "json" ? "chat.v1" : undefined,
      noDelay: true,
    });
    this.conn = conn;
    if (this.settings.mode === "plain") this.ready.resolve();
    this.#readLoop(rest).catch((error) => this.ready.reject(error));
    await this.ready.promise;
  }

  /**
   * Writes `frame` after those already queued; a failed write is dropped.
   *
   * @param frame One or more encoded frames.
   */
  send(frame: Uint8Array): void {
    this.#writing = this.#writing.then(() => writeAll(this.conn, frame))
      .catch(() => {});
  }

  async #readLoop(initial: Uint8Array): Promise<void> {
    const buffer = new Uint8Array(this.settings.readBufferBytes);
    let data = initial;
    while (true) {
      const used = this.#frames(data, performance.now());
      // The rest points into the buffer, which the next read overwrites.
      const carry = used < data.length ? data.slice(used) : null;
      const n = await this.conn.read(buffer);
      if (n === null) break;
      data = buffer.subarray(0, n);
      if (carry) {
        const joined = new Uint8Array(carry.length + n);
        joined.set(carry);
        joined.set(data, carry.length);
        data = joined;
      }
    }
    if (!phase.stopping) totals.closedEarly++;
    this.ready.reject(new Error("Connection closed before it was ready"));
  }

  /** Handles every complete frame in `data`; returns the bytes consumed. */
  #frames(data: Uint8Array, nowMs: number): number {
    return readFrames(data, (opcode, _fin, start, end) => {
      if (opcode === Opcode.ping) {
        this.send(encodeFrame(Opcode.pong, data.slice(start, end)));
      } else if (opcode === Opcode.close) {
        this.send(encodeFrame(Opcode.close, data.slice(start, end)));
      } else if (opcode <= Opcode.binary) {
        this.#payload(data, start, end, nowMs);
      }
    });
  }

  /** Sends the next acked message if none is in flight and sending is on. */
  sendAcked(): void {
    if (!phase.ackedSending || this.#ackPendingSince >= 0) return;
    this.#ackPendingSince = performance.now();
    totals.sent++;
    this.send(messageFrame(this.settings, `n${this.#nonce++}`));
  }

  /**
   * Counts messages in one payload whose id is not above the one before:
   * every socket is in one room, whose ids each member must get in order.
   */
  #checkOrder(data: Uint8Array, start: number, end: number): void {
    for (let i = data.indexOf(BRACE, start); i >= 0 && i < end;) {
      let j = 0;
      while (j < MESSAGE_PREFIX.length && data[i + j] === MESSAGE_PREFIX[j]) {
        j++;
      }
      if (j === MESSAGE_PREFIX.length) {
        let id = 0;
        for (j += i; j < end; j++) {
          const digit = data[j]! - ZERO;
          if (digit < 0 || digit > 9) break;
          id = id * 10 + digit;
        }
        if (id <= this.#lastId) totals.outOfOrder++;
        this.#lastId = id;
      }
      i = data.indexOf(BRACE, i + 1);
    }
  }

  /** Counts the stamps `@P.T` in one payload; times those this process sent. */
  #payload(data: Uint8Array, start: number, end: number, nowMs: number): void {
    if (this.#ackPendingSince >= 0 && isAck(data, start, end)) {
      latencies.ack.record((nowMs - this.#ackPendingSince) * 1000);
      totals.acked++;
      this.#ackPendingSince = -1;
      this.sendAcked();
      return;
    }
    if (this.#awaitingJoin) {
      // The join's answer (`joined`, with members and history): the socket is
      // idle only from here on.
      this.#awaitingJoin = false;
      this.ready.resolve();
    } else if (!this.#greeted) {
      // The first chat.v1 frame is `hello`; a rooms-aware server (its hello
      // names a `defaultRoom`) wants a join next, the peers ignore one.
      this.#greeted = true;
      if (this.settings.mode === "json") {
        this.send(joinFrame());
        const hello = new TextDecoder().decode(data.subarray(start, end));
        if (hello.includes('"defaultRoom"')) this.#awaitingJoin = true;
        else this.ready.resolve();
      }
    }
    if (this.settings.mode === "json") this.#checkOrder(data, start, end);
    let i = data.indexOf(AT, start);
    while (i >= 0 && i < end) {
      totals.delivered++;
      let j = i + 1;
      let origin = 0;
      while (j < end && data[j] !== DOT) {
        origin = origin * 10 + data[j++]! - ZERO;
      }
      if (origin === this.settings.index) {
        let stamp = 0;
        for (j++; j < end; j++) {
          const digit = data[j]! - ZERO;
          if (digit < 0 || digit > 9) break;
          stamp = stamp * 10 + digit;
        }
        latencies.delivery.record(nowMs * 1000 - stamp);
      }
      i = data.indexOf(AT, j);
    }
  }
}
