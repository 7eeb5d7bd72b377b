/**
 * One WebSocket client: reads its frames, enforces the limits, and feeds it
 * its room's messages without letting its send buffer grow past a bound.
 *
 * @module
 */
import { SlowConsumerError, type Subscription } from "./broker.ts";
import type { Chat } from "./chat.ts";
import type { ChatMetrics } from "./chat_metrics.ts";
import type { Config } from "./config.ts";
import type { DrainWatcher } from "./drain_watcher.ts";
import { log } from "./log.ts";
import {
  batchFrame,
  type Broadcast,
  type ClientMessage,
  CloseCode,
  decodeClientFrame,
  DEFAULT_ROOM,
  JSON_PROTOCOL,
  MAX_NAME_LENGTH,
  ProtocolError,
  type ServerEvent,
  validateText,
} from "./protocol.ts";
import { TokenBucket } from "./rate_limiter.ts";

/** Which of the two protocols a connection speaks. */
export type ConnectionMode = "plain" | "json";

/** Room for the JSON envelope around the text when bounding a whole frame. */
const FRAME_OVERHEAD_BYTES = 1024;
/** JSON may escape a UTF-8 byte as up to six characters (`\u00e9`). */
const JSON_ESCAPE_FACTOR = 6;

/** Options for {@linkcode Connection}. */
export interface ConnectionOptions {
  /** Plain text (tutorial-compatible) or `chat.v1` JSON. */
  mode: ConnectionMode;
  /** Initial display name. */
  user: string;
  /** Server settings (limits). */
  config: Config;
  /** Where messages are posted and subscribed. */
  chat: Chat;
  /** Shared timer that waits for send buffers to drain. */
  drainWatcher: DrainWatcher;
  /** Called once when the connection has ended. */
  onClose?: (connection: Connection) => void;
  /** Counts frames, bytes, errors and cut-offs for `/metrics`. */
  metrics?: ChatMetrics;
}

/**
 * Drives one accepted WebSocket from upgrade to close. Construct it right
 * after `Deno.upgradeWebSocket`: it subscribes at once, so messages published
 * before the socket opens are queued, not lost.
 */
export class Connection {
  /** Unique id, sent to JSON clients in `hello`. */
  readonly id: string = crypto.randomUUID();
  /** Protocol this connection speaks. */
  readonly mode: ConnectionMode;
  #socket: WebSocket;
  #user: string;
  #config: Config;
  #chat: Chat;
  #drainWatcher: DrainWatcher;
  #onClose?: (connection: Connection) => void;
  #metrics?: ChatMetrics;
  #abort = new AbortController();
  #bucket: TokenBucket;
  #strikes = 0;
  #maxFrameLength: number;
  #subscription: Subscription<Broadcast>;

  /** Wires the socket's events and subscribes to the default room. */
  constructor(socket: WebSocket, options: ConnectionOptions) {
    this.mode = options.mode;
    this.#socket = socket;
    this.#user = options.user;
    this.#config = options.config;
    this.#chat = options.chat;
    this.#drainWatcher = options.drainWatcher;
    this.#onClose = options.onClose;
    this.#metrics = options.metrics;
    this.#bucket = new TokenBucket({
      rate: this.#config.rateLimit,
      burst: this.#config.rateBurst,
    });
    this.#maxFrameLength = this.mode === "plain"
      ? this.#config.maxMessageBytes
      : this.#config.maxMessageBytes * JSON_ESCAPE_FACTOR +
        FRAME_OVERHEAD_BYTES;
    this.#subscription = this.#chat.subscribe(DEFAULT_ROOM, {
      signal: this.#abort.signal,
      maxQueueLength: this.#config.maxQueueLength,
      onSlowConsumer: () => this.#cutOffSlowConsumer(),
    });
    socket.onopen = () => this.#onOpen();
    socket.onmessage = (event) => {
      this.#metrics?.onFrameReceived(this.mode, event.data);
      try {
        this.#onMessage(event.data);
      } catch (error) {
        log("error", "connection.message_failed", { id: this.id, error });
        this.close(CloseCode.internalError, "Internal error");
      }
    };
    socket.onclose = (event) => this.#end(event.code);
    socket.onerror = (event) => {
      const message = event instanceof ErrorEvent ? event.message : "error";
      log("debug", "connection.error", { id: this.id, message });
    };
  }

  /** Current display name. */
  get user(): string {
    return this.#user;
  }

  /** Whether the connection has ended. */
  get closed(): boolean {
    return this.#abort.signal.aborted;
  }

  /**
   * Closes the socket with `code` and stops feeding it; idempotent.
   *
   * @param code WebSocket close code.
   * @param reason Short human-readable reason (at most 123 bytes).
   */
  close(code: number, reason: string): void {
    if (
      this.#socket.readyState === WebSocket.OPEN ||
      this.#socket.readyState === WebSocket.CONNECTING
    ) {
      this.#metrics?.serverCloses.inc({ code: String(code) });
      try {
        this.#socket.close(code, reason);
      } catch (error) {
        log("debug", "connection.close_failed", { id: this.id, error });
      }
    }
    this.#end(code);
  }

  #onOpen(): void {
    log("debug", "connection.open", { id: this.id, mode: this.mode });
    if (this.mode === "json") {
      this.#send({
        type: "hello",
        protocol: JSON_PROTOCOL,
        connectionId: this.id,
        user: this.#user,
        room: DEFAULT_ROOM,
        limits: {
          maxMessageBytes: this.#config.maxMessageBytes,
          maxNameLength: MAX_NAME_LENGTH,
          rateLimit: this.#config.rateLimit,
          rateBurst: this.#config.rateBurst,
        },
      });
    }
    this.#pump().catch((error) => {
      log("error", "connection.pump_failed", { id: this.id, error });
      this.close(CloseCode.internalError, "Internal error");
    });
  }

  async #pump(): Promise<void> {
    const socket = this.#socket;
    const { maxBufferedBytes } = this.#config;
    const signal = this.#abort.signal;
    try {
      for await (const batch of this.#subscription) {
        if (socket.readyState !== WebSocket.OPEN) break;
        if (this.mode === "json") {
          const frame = batch.length === 1
            ? batch[0]!.json
            : batchFrame(batch.map((broadcast) => broadcast.json));
          socket.send(frame);
          this.#metrics?.onFrameSent("json", frame, batch.length);
        } else {
          for (const broadcast of batch) {
            if (broadcast.plain === null) continue;
            socket.send(broadcast.plain);
            this.#metrics?.onFrameSent("plain", broadcast.plain, 1);
          }
        }
        if (socket.bufferedAmount > maxBufferedBytes) {
          await this.#drainWatcher.wait(socket, maxBufferedBytes / 2, signal);
        }
      }
    } catch (error) {
      if (error instanceof SlowConsumerError || signal.aborted) return;
      throw error;
    }
  }

  #onMessage(data: unknown): void {
    if (this.closed) return;
    if (typeof data !== "string") {
      this.close(CloseCode.unsupportedData, "Binary frames are not supported");
      return;
    }
    if (data.length > this.#maxFrameLength) {
      this.close(CloseCode.messageTooBig, "Frame too large");
      return;
    }
    if (this.mode === "plain") {
      this.#onPlainText(data);
      return;
    }
    let request: ClientMessage;
    try {
      request = decodeClientFrame(data, {
        maxMessageBytes: this.#config.maxMessageBytes,
      });
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.#sendError(error);
      return;
    }
    this.#handle(request);
  }

  #onPlainText(text: string): void {
    if (text.trim() === "") return;
    try {
      validateText(text, this.#config.maxMessageBytes);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      const tooLarge = error.code === "message_too_large";
      this.close(
        tooLarge ? CloseCode.messageTooBig : CloseCode.invalidPayload,
        tooLarge ? "Message too large" : "Invalid message text",
      );
      return;
    }
    if (!this.#withinRate()) return;
    this.#post(text);
  }

  #handle(request: ClientMessage): void {
    switch (request.type) {
      case "send":
        if (!this.#withinRate(request.nonce)) return;
        this.#post(request.text, request.nonce);
        return;
      case "set_name":
        this.#user = request.name;
        this.#send({ type: "renamed", user: request.name });
        return;
      case "ping":
        this.#send(
          request.nonce === undefined
            ? { type: "pong" }
            : { type: "pong", nonce: request.nonce },
        );
        return;
    }
  }

  /** Takes a rate token; answers an over-limit request and closes persistent abusers. */
  #withinRate(nonce?: string): boolean {
    if (this.#bucket.take()) {
      this.#strikes = 0;
      return true;
    }
    this.#strikes++;
    this.#metrics?.rateLimited.inc();
    if (
      this.#strikes >= this.#config.rateLimitStrikes || this.mode === "plain"
    ) {
      log("info", "connection.rate_limit_close", { id: this.id });
      this.close(CloseCode.policyViolation, "Rate limit exceeded");
      return false;
    }
    this.#sendError(
      new ProtocolError(
        "rate_limited",
        `Cannot send message: more than ${this.#config.rateLimit} messages per second`,
        nonce,
      ),
    );
    return false;
  }

  #post(text: string, nonce?: string): void {
    const started = performance.now();
    this.#chat.post(DEFAULT_ROOM, this.#user, text).then(
      (message) => {
        this.#metrics?.onPublished(performance.now() - started, true);
        if (this.mode !== "json") return;
        const ack: ServerEvent = {
          type: "ack",
          id: message.id,
          room: message.room,
          ts: message.ts,
        };
        if (nonce !== undefined) ack.nonce = nonce;
        this.#send(ack);
      },
      (error) => {
        this.#metrics?.onPublished(performance.now() - started, false);
        log("error", "message.post_failed", { id: this.id, error });
        if (this.mode === "plain") {
          this.close(CloseCode.tryAgainLater, "Cannot deliver message now");
          return;
        }
        this.#sendError(
          new ProtocolError(
            "unavailable",
            "Cannot send message: the server cannot store or deliver it now",
            nonce,
          ),
        );
      },
    );
  }

  #send(event: ServerEvent): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    const frame = JSON.stringify(event);
    this.#socket.send(frame);
    this.#metrics?.onFrameSent(this.mode, frame, 0);
  }

  #sendError(error: ProtocolError): void {
    this.#metrics?.requestErrors.inc({ code: error.code });
    const event: ServerEvent = {
      type: "error",
      code: error.code,
      message: error.message,
    };
    if (error.nonce !== undefined) event.nonce = error.nonce;
    this.#send(event);
  }

  #cutOffSlowConsumer(): void {
    this.#metrics?.slowConsumers.inc();
    log("info", "connection.slow_consumer", { id: this.id });
    this.close(CloseCode.tryAgainLater, "Slow consumer");
  }

  #end(code: number): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    log("debug", "connection.close", { id: this.id, code });
    this.#onClose?.(this);
  }
}
