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
import { messageFrame } from "./_load_frames.ts";
import { Socket } from "./_load_socket.ts";
import { latencies, phase, resetCounts, totals } from "./_load_state.ts";

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

const TICK_MS = 5;
const encoder = new TextEncoder();

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
        phase.ackedSending = true;
        for (const socket of sockets.slice(0, settings.senders)) {
          socket.sendAcked();
        }
      } else if (command === "go") {
        sendLoop(settings, sockets.slice(0, settings.senders), sending.signal);
      } else if (command === "pause") {
        phase.ackedSending = false;
        sending.abort();
        sending = new AbortController();
      } else if (command === "reset") {
        // After a warm-up: count only what the measured phase sends.
        resetCounts();
      } else if (command === "stop") {
        sending.abort();
        phase.stopping = true;
        emit({
          event: "result",
          ...totals,
          histogram: latencies.delivery.toJSON(),
          ackHistogram: latencies.ack.toJSON(),
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
