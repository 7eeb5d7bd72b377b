/**
 * One load-generator process. It speaks WebSocket over raw TCP
 * (`Deno.connect`) rather than through the `WebSocket` class: it reads many
 * frames per socket read and finds the send stamps in the bytes without
 * decoding strings or dispatching an event per message, so one core can
 * count far more deliveries than any server here can make.
 *
 * Talks to `run.ts` over stdio: it takes its settings as one JSON argument,
 * prints `{"event":"ready",…}` once its sockets are open, sends from a `go`
 * line to a `pause` line, zeroes its counters on `reset`, and prints `{"event":"result",…}` and exits on a `stop` line.
 *
 * With `acked`, each sender instead keeps one `send` (with a nonce) in
 * flight: it sends the next only when the server's `ack` for the last has
 * arrived, and the time from send to `ack` is recorded separately.
 *
 * Every chat text it sends is `@P.T`: P is this process's index and T the
 * send time in microseconds on this process's clock. Latency is measured
 * only on messages a process sent itself (clocks of separate processes are
 * not comparable to the microsecond); deliveries are counted for all.
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
import { LatencyHistogram } from "./histogram.ts";

/** Settings of one load process, passed as its only argument (JSON). */
export interface LoadClientSettings {
  /** `ws://127.0.0.1:PORT/ws` */
  url: string;
  /** Plain text (no subprotocol) or `chat.v1` JSON. */
  mode: "plain" | "json";
  /** Index of this process; part of every text it sends. */
  index: number;
  /** Connections to open; all of them receive. */
  connections: number;
  /** How many of them also send. */
  senders: number;
  /** Messages per second this process sends, spread over its senders. */
  rate: number;
  /** Handshakes in flight at once. */
  connectConcurrency: number;
  /** Bytes each socket reads at a time. */
  readBufferBytes: number;
  /** Closed loop (`chat.v1` only): each sender waits for its `ack` before sending again; `rate` is ignored. */
  acked?: boolean;
}

const AT = 0x40; // "@"
const DOT = 0x2e; // "."
const ZERO = 0x30;
const TICK_MS = 5;
const encoder = new TextEncoder();
/** How an `ack` frame starts (`JSON.stringify` puts `type` first). */
const ACK_PREFIX = encoder.encode('{"type":"ack"');
/** How a chat message starts, up to its id (`type`, then `id`, as every server here writes it). */
const MESSAGE_PREFIX = encoder.encode('{"type":"message","id":');
const BRACE = 0x7b; // "{"

/** Counters shared by every socket of the process. */
const totals = {
  opened: 0,
  failed: 0,
  closedEarly: 0,
  outOfOrder: 0,
  sent: 0,
  delivered: 0,
  acked: 0,
  firstError: "",
};
let histogram = new LatencyHistogram();
/** Send-to-`ack` times of the `acked` mode. */
let ackHistogram = new LatencyHistogram();
/** Whether the `acked` mode sends: between `go` and `pause`. */
let ackedSending = false;
let stopping = false;

class Socket {
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
  readonly ready = Promise.withResolvers<void>();

  constructor(readonly settings: LoadClientSettings) {}

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
    if (!stopping) totals.closedEarly++;
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
    if (!ackedSending || this.#ackPendingSince >= 0) return;
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
      ackHistogram.record((nowMs - this.#ackPendingSince) * 1000);
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
        histogram.record(nowMs * 1000 - stamp);
      }
      i = data.indexOf(AT, j);
    }
  }
}

function joinFrame(): Uint8Array {
  return encodeFrame(
    Opcode.text,
    encoder.encode(JSON.stringify({ type: "join", room: "general" })),
  );
}

function isAck(data: Uint8Array, start: number, end: number): boolean {
  if (end - start < ACK_PREFIX.length) return false;
  for (let i = 0; i < ACK_PREFIX.length; i++) {
    if (data[start + i] !== ACK_PREFIX[i]) return false;
  }
  return true;
}

function messageFrame(
  settings: LoadClientSettings,
  nonce?: string,
): Uint8Array {
  const text = `@${settings.index}.${Math.round(performance.now() * 1000)}`;
  const withNonce = nonce === undefined ? "" : `,"nonce":"${nonce}"`;
  return encodeFrame(
    Opcode.text,
    encoder.encode(
      settings.mode === "json"
        ? `{"type":"send","room":"general","text":"${text}"${withNonce}}`
        : text,
    ),
  );
}

async function openAll(settings: LoadClientSettings): Promise<Socket[]> {
  const sockets: Socket[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < settings.connections) {
      next++;
      const socket = new Socket(settings);
      try {
        await socket.open();
        sockets.push(socket);
        totals.opened++;
      } catch (error) {
        totals.failed++;
        totals.firstError ||= error instanceof Error
          ? error.message
          : String(error);
      }
    }
  }
  const workers = Array.from(
    { length: Math.min(settings.connectConcurrency, settings.connections) },
    worker,
  );
  await Promise.all(workers);
  return sockets;
}

/** Sends at `settings.rate` from a single timer until `signal` aborts. */
function sendLoop(
  settings: LoadClientSettings,
  senders: Socket[],
  signal: AbortSignal,
): void {
  if (senders.length === 0 || settings.rate <= 0) return;
  const startedAt = performance.now();
  let turn = 0;
  const timer = setInterval(() => {
    const due = Math.floor(
      ((performance.now() - startedAt) / 1000) * settings.rate,
    );
    // Each sender gets its share of this tick's messages in one write.
    const count = due - totals.sent;
    if (count <= 0) return;
    const perSender = new Map<Socket, Uint8Array[]>();
    for (let k = 0; k < count; k++) {
      const socket = senders[turn++ % senders.length]!;
      let frames = perSender.get(socket);
      if (!frames) perSender.set(socket, frames = []);
      frames.push(messageFrame(settings));
    }
    for (const [socket, frames] of perSender) {
      const total = frames.reduce((sum, frame) => sum + frame.length, 0);
      const joined = new Uint8Array(total);
      let offset = 0;
      for (const frame of frames) {
        joined.set(frame, offset);
        offset += frame.length;
      }
      socket.send(joined);
    }
    totals.sent = due;
  }, TICK_MS);
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
}

function emit(event: Record<string, unknown>): void {
  Deno.stdout.writeSync(encoder.encode(`${JSON.stringify(event)}\n`));
}

async function main(settings: LoadClientSettings): Promise<void> {
  const sockets = await openAll(settings);
  emit({ event: "ready", ...totals });
  let sending = new AbortController();
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let pending = "";
  for await (const chunk of lines) {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const command = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (command === "go" && settings.acked) {
        ackedSending = true;
        for (const socket of sockets.slice(0, settings.senders)) {
          socket.sendAcked();
        }
      } else if (command === "go") {
        sendLoop(settings, sockets.slice(0, settings.senders), sending.signal);
      } else if (command === "pause") {
        ackedSending = false;
        sending.abort();
        sending = new AbortController();
      } else if (command === "reset") {
        // After a warm-up: count only what the measured phase sends.
        totals.sent = 0;
        totals.delivered = 0;
        totals.acked = 0;
        histogram = new LatencyHistogram();
        ackHistogram = new LatencyHistogram();
      } else if (command === "stop") {
        sending.abort();
        stopping = true;
        emit({
          event: "result",
          ...totals,
          histogram: histogram.toJSON(),
          ackHistogram: ackHistogram.toJSON(),
        });
        for (const socket of sockets) {
          try {
            socket.conn.close();
          } catch {
            // Already closed by the server.
          }
        }
        return;
      }
    }
  }
}

if (import.meta.main) {
  const settings: LoadClientSettings = JSON.parse(Deno.args[0] ?? "{}");
  await main(settings);
  Deno.exit(0);
}
