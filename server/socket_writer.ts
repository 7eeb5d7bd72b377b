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
  /** Called when a reply finds the client not reading; the owner cuts it off. */
  onSlowConsumer: () => void;
  /** Counts frames, bytes and errors for `/metrics`. */
  metrics?: ChatMetrics;
}

/** Writes frames to one socket; the only place that calls its `send()`. */
export class SocketWriter {
  /** The socket written to. */
  readonly socket: WebSocket;
  /** The protocol it speaks. */
  readonly mode: ConnectionMode;
  /** Send buffer, in bytes, above which rooms stop feeding the socket. */
  readonly maxBufferedBytes: number;
  #onSlowConsumer: () => void;
  #metrics?: ChatMetrics;
  #ended = false;

  /** Writes to `socket`. */
  constructor(socket: WebSocket, options: SocketWriterOptions) {
    this.socket = socket;
    this.mode = options.mode;
    this.maxBufferedBytes = options.maxBufferedBytes;
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

  /** Whether the send buffer holds more than {@linkcode SocketWriter.maxBufferedBytes}. */
  get overBound(): boolean {
    return this.socket.bufferedAmount > this.maxBufferedBytes;
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
    if (this.#ended || this.socket.readyState !== WebSocket.OPEN) return;
    if (
      this.socket.bufferedAmount > this.maxBufferedBytes * REPLY_BUFFER_FACTOR
    ) {
      this.#onSlowConsumer();
      return;
    }
    const frame = JSON.stringify(event);
    this.socket.send(frame);
    this.#metrics?.onFrameSent(this.mode, frame, 0);
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
    let frame: string;
    let bytes: number;
    if (batch.length === 1) {
      const only = batch[0]!;
      frame = only.json;
      bytes = only.jsonBytes ?? utf8Length(frame);
    } else {
      const frames: string[] = [];
      // Brackets and commas: one byte each, n + 1 of them.
      bytes = batch.length + 1;
      for (const broadcast of batch) {
        frames.push(broadcast.json);
        bytes += broadcast.jsonBytes ?? utf8Length(broadcast.json);
      }
      frame = batchFrame(frames);
    }
    this.socket.send(frame);
    this.#metrics?.onFramesSent("json", 1, bytes, batch.length);
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
    this.#metrics?.onFramesSent("plain", frames, bytes, frames);
  }
}
