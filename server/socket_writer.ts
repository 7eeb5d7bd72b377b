/**
 * Everything a connection writes to its socket: replies to its requests and
 * its rooms' events in batches, counted for `/metrics`.
 *
 * @module
 */
import { type Broadcast, utf8Length } from "../chat/events.ts";
import type { ChatMetrics } from "./chat_metrics.ts";
import {
  batchFrame,
  type ConnectionMode,
  type ProtocolError,
  type ServerEvent,
} from "./protocol.ts";
import { OPEN } from "./ready_state.ts";

/**
 * Replies (`joined`, `history`, acks…) may fill the send buffer to this many
 * times `maxBufferedBytes`; past it the client is not reading and is cut off.
 */
const REPLY_BUFFER_FACTOR = 2;

/** Options for {@linkcode SocketWriter}. */
export interface SocketWriterOptions {
  /** The protocol the socket speaks. */
  mode: ConnectionMode;
  /** Send buffer, in bytes, above which rooms stop feeding the socket. */
  maxBufferedBytes: number;
  /**
   * Largest `chat.v1` frame a batch is sent in; a longer batch goes in
   * several, and a single larger event alone. Deno keeps each socket's write
   * buffer as large as the largest frame sent on it.
   *
   * @default {Infinity}
   */
  maxFrameBytes?: number;
  /** Called when a reply finds the client not reading; the owner cuts it off. */
  onSlowConsumer: () => void;
  /** Counts frames, bytes and errors for `/metrics`. */
  metrics?: ChatMetrics;
}

/** One frame and its UTF-8 bytes. */
interface EncodedFrame {
  frame: string;
  bytes: number;
}

/**
 * The last batch encoded as JSON frames, for one frame bound. A room's batch
 * goes to each of its members in turn (`broker.ts` hands the same array to
 * all), so it is encoded once, not once per member; batches are never
 * changed once handed over.
 */
let encoded: {
  batch: readonly Broadcast[];
  maxBytes: number;
  frames: EncodedFrame[];
} = { batch: [], maxBytes: 0, frames: [] };

/**
 * The JSON frames for `batch`, oldest first: each the event itself, or a JSON
 * array of events that stays within `maxBytes` (an event larger than that
 * goes alone).
 */
function jsonFrames(
  batch: readonly Broadcast[],
  maxBytes: number,
): EncodedFrame[] {
  if (encoded.batch === batch && encoded.maxBytes === maxBytes) {
    return encoded.frames;
  }
  const frames: EncodedFrame[] = [];
  let parts: string[] = [];
  // An array of n events takes n + 1 bytes of brackets and commas: count
  // the opening one, then one after each event.
  let bytes = 1;
  for (const broadcast of batch) {
    const size = (broadcast.jsonBytes ?? utf8Length(broadcast.json)) + 1;
    if (parts.length > 0 && bytes + size > maxBytes) {
      frames.push(frameOf(parts, bytes));
      parts = [];
      bytes = 1;
    }
    parts.push(broadcast.json);
    bytes += size;
  }
  frames.push(frameOf(parts, bytes));
  encoded = { batch, maxBytes, frames };
  return frames;
}

/** One frame for `parts`: the event itself, or a JSON array of them. */
function frameOf(parts: string[], bytes: number): EncodedFrame {
  if (parts.length === 1) return { frame: parts[0]!, bytes: bytes - 2 };
  return { frame: batchFrame(parts), bytes };
}

/**
 * Writes frames to one socket; the only place that calls its `send()`.
 *
 * Deno's `bufferedAmount` is a native call; the writer reads it only when
 * the bytes it wrote since the last reading could have crossed a bound. The
 * buffer only shrinks between writes, so the last reading plus what was
 * written since is an upper bound, and each decision is the one a reading
 * would give.
 */
export class SocketWriter {
  /** The socket written to. */
  readonly socket: WebSocket;
  /** The protocol it speaks. */
  readonly mode: ConnectionMode;
  /** Send buffer, in bytes, above which rooms stop feeding the socket. */
  readonly maxBufferedBytes: number;
  /** Largest frame a batch is sent in. */
  readonly maxFrameBytes: number;
  #onSlowConsumer: () => void;
  #metrics?: ChatMetrics;
  #ended = false;
  /** At least `bufferedAmount`: its last reading plus the bytes sent since. */
  #buffered = 0;

  /** Writes to `socket`. */
  constructor(socket: WebSocket, options: SocketWriterOptions) {
    this.socket = socket;
    this.mode = options.mode;
    this.maxBufferedBytes = options.maxBufferedBytes;
    this.maxFrameBytes = options.maxFrameBytes ?? Infinity;
    this.#onSlowConsumer = options.onSlowConsumer;
    this.#metrics = options.metrics;
  }

  /**
   * Stops every later write: once the connection has ended, its socket may
   * still read OPEN while it drains the peer's frames (closing_handshake.ts).
   */
  end(): void {
    this.#ended = true;
  }

  /** Whether frames can be written: the connection goes on and its socket is open. */
  get open(): boolean {
    return !this.#ended && this.socket.readyState === OPEN;
  }

  /** Whether the send buffer holds more than {@linkcode SocketWriter.maxBufferedBytes}. */
  get overBound(): boolean {
    return this.#over(this.maxBufferedBytes);
  }

  /** Whether the send buffer holds more than `bytes`, read only when it may. */
  #over(bytes: number): boolean {
    if (this.#buffered <= bytes) return false;
    this.#buffered = this.socket.bufferedAmount;
    return this.#buffered > bytes;
  }

  /**
   * Sends one reply as its own frame while the socket is open. Replies do
   * not wait for the buffer to drain as room events do; a client that keeps
   * asking (join, history) without reading would otherwise grow it without
   * bound, so past a multiple of the bound it is reported as a slow consumer.
   *
   * @param event The reply.
   */
  reply(event: ServerEvent): void {
    if (this.#ended || this.socket.readyState !== OPEN) return;
    if (this.#over(this.maxBufferedBytes * REPLY_BUFFER_FACTOR)) {
      this.#onSlowConsumer();
      return;
    }
    const frame = JSON.stringify(event);
    const bytes = utf8Length(frame);
    this.socket.send(frame);
    this.#buffered += bytes;
    this.#metrics?.onFramesSent(this.mode, 1, bytes, 0);
  }

  /**
   * Sends an `error` frame for a refused request, counted by its code.
   *
   * @param error The refusal.
   */
  error(error: ProtocolError): void {
    this.#metrics?.requestErrors.inc({ code: error.code });
    const event: ServerEvent = {
      type: "error",
      code: error.code,
      message: error.message,
    };
    if (error.nonce !== undefined) event.nonce = error.nonce;
    this.reply(event);
  }

  /**
   * Sends room events: for `chat.v1`, as one frame (the event itself, or a
   * JSON array of events); for plain text, each chat message as its own
   * frame, skipping what plain clients do not see.
   *
   * @param batch Events, oldest first.
   */
  sendBatch(batch: readonly Broadcast[]): void {
    if (this.#ended) return;
    if (this.mode === "json") this.#sendJsonBatch(batch);
    else this.#sendPlainBatch(batch);
  }

  #sendJsonBatch(batch: readonly Broadcast[]): void {
    const frames = jsonFrames(batch, this.maxFrameBytes);
    let bytes = 0;
    for (const frame of frames) {
      this.socket.send(frame.frame);
      bytes += frame.bytes;
    }
    this.#buffered += bytes;
    this.#metrics?.onFramesSent("json", frames.length, bytes, batch.length);
  }

  #sendPlainBatch(batch: readonly Broadcast[]): void {
    const socket = this.socket;
    let frames = 0;
    let bytes = 0;
    for (const broadcast of batch) {
      const text = broadcast.plain;
      if (text === null) continue;
      socket.send(text);
      frames++;
      bytes += broadcast.plainBytes ?? utf8Length(text);
    }
    this.#buffered += bytes;
    this.#metrics?.onFramesSent("plain", frames, bytes, frames);
  }
}
