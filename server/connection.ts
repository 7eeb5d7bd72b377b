/**
 * One WebSocket client from upgrade to close: reads its frames, enforces the
 * frame limits, and hands each request to its {@linkcode Session}.
 *
 * @module
 */
import type { Chat } from "../chat/chat.ts";
import type { ControlEvent } from "../chat/control.ts";
import type { Moderator } from "../chat/moderator.ts";
import { log } from "../observability/log.ts";
import type { ChatMetrics } from "./chat_metrics.ts";
import type { Config } from "./config.ts";
import { closeAndDrain } from "./closing_handshake.ts";
import type { DrainWatcher } from "./drain_watcher.ts";
import {
  CloseCode,
  type ConnectionMode,
  type ProtocolError,
} from "./protocol.ts";
import { ConnectionContext } from "./connection_context.ts";
import { Credentials } from "./credentials.ts";
import type { Identity } from "./identity.ts";
import { Session } from "./session.ts";
import { type PlainJoin, startPlainJoin } from "./_plain_join.ts";
import type { SignIn } from "./sign_in.ts";
import { SocketWriter } from "./socket_writer.ts";
import type { TypingThrottle } from "./typing.ts";
import { CONNECTING, OPEN } from "./ready_state.ts";
import { helloEvent } from "./_hello.ts";
import { maxFrameLength, readPlainText, readRequest } from "./_frame_intake.ts";

/** The socket events a connection listens to. */
const SOCKET_EVENTS = ["open", "message", "close", "error"] as const;

/** Options for {@linkcode Connection}. */
export interface ConnectionOptions {
  /** Plain text (tutorial-compatible) or `chat.v1` JSON. */
  mode: ConnectionMode;
  /** Who the connection is to begin with: a guest, or a user verified at the upgrade. */
  identity: Identity;
  /** Verifies tokens and counts users' connections. */
  signIn: SignIn;
  /** A token given at the upgrade that did not verify: answered once the socket is open. */
  refusal?: ProtocolError;
  /** Server settings (limits). */
  config: Config;
  /** Where messages are posted and rooms joined. */
  chat: Chat;
  /** Shared timer that waits for send buffers to drain. */
  drainWatcher: DrainWatcher;
  /** Called once when the connection has ended. */
  onClose?: (connection: Connection) => void;
  /** Counts frames, bytes, errors and cut-offs for `/metrics`. */
  metrics?: ChatMetrics;
  /** Takes moderation actions and reads bans. */
  moderator: Moderator;
  /** Lets a user's typing through at most once per interval and room. */
  typing: TypingThrottle;
  /**
   * The current time in milliseconds since the Unix epoch, for the edit window.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

/**
 * Drives one accepted WebSocket from upgrade to close. A plain-text
 * connection joins the default room at once (before the socket opens, so
 * nothing published meanwhile is lost); a JSON one joins what it asks for.
 */
export class Connection {
  /** Unique id, sent to JSON clients in `hello`. */
  readonly id: string = crypto.randomUUID();
  /** Protocol this connection speaks. */
  readonly mode: ConnectionMode;
  #socket: WebSocket;
  #config: Config;
  #writer: SocketWriter;
  #credentials: Credentials;
  #refusal: ProtocolError | undefined;
  #session: Session;
  #onClose?: (connection: Connection) => void;
  #metrics?: ChatMetrics;
  /**
   * Whether the connection has ended. A flag rather than an
   * `AbortController`: nothing listens to the connection's end (each room
   * feed has its own controller), and every idle connection would hold the
   * controller, its signal and their records.
   */
  #ended = false;
  #maxFrameLength: number;
  /** A plain-text connection's join of the default room, until the socket opens. */
  #plainJoin: PlainJoin | undefined;
  /** Whether a sweep has seen the socket closing (see endIfSocketClosed). */
  #seenClosing = false;

  /** Wires the socket's events; a plain-text connection joins the default room. */
  constructor(socket: WebSocket, options: ConnectionOptions) {
    this.mode = options.mode;
    this.#socket = socket;
    this.#config = options.config;
    this.#onClose = options.onClose;
    this.#metrics = options.metrics;
    this.#maxFrameLength = maxFrameLength(
      this.mode,
      this.#config.maxMessageBytes,
    );
    // The connection's one closure: the writer and every room's
    // subscription report a slow consumer through it.
    const cutOff = () => this.#cutOffSlowConsumer();
    this.#writer = new SocketWriter(socket, {
      mode: this.mode,
      maxBufferedBytes: this.#config.maxBufferedBytes,
      maxFrameBytes: this.#config.maxFrameBytes,
      onSlowConsumer: cutOff,
      metrics: this.#metrics,
    });
    const feeds = new ConnectionContext({
      connection: this,
      connectionId: this.id,
      writer: this.#writer,
      drainWatcher: options.drainWatcher,
      maxQueueLength: this.#config.maxQueueLength,
      cutOff,
    });
    this.#credentials = new Credentials({
      signIn: options.signIn,
      identity: options.identity,
      signInTimeoutMs: this.#config.authTimeout * 1000,
      connection: this,
    });
    this.#refusal = options.refusal;
    this.#session = new Session({
      id: this.id,
      credentials: this.#credentials,
      config: this.#config,
      chat: options.chat,
      feeds,
      metrics: this.#metrics,
      moderator: options.moderator,
      typing: options.typing,
      now: options.now,
    });
    if (this.mode === "plain") this.#plainJoin = this.#session.joinPlain();
    // The connection itself listens (handleEvent): no closure per event.
    for (const type of SOCKET_EVENTS) socket.addEventListener(type, this);
  }

  /**
   * Handles the socket's events (the `EventListener` interface, so that the
   * connection listens without a closure of its own per event); never throws.
   *
   * @param event An `open`, `message`, `close` or `error` event of the socket.
   */
  handleEvent(event: Event): void {
    switch (event.type) {
      case "open":
        // A socket opens once: its listener record would stay for nothing.
        this.#socket.removeEventListener("open", this);
        this.#onOpen();
        return;
      case "message":
        // After a close, what the peer still sends is read only to be dropped.
        if (this.closed || !(event instanceof MessageEvent)) return;
        this.#metrics?.onFrameReceived(this.mode, event.data);
        try {
          this.#onMessage(event.data);
        } catch (error) {
          log("error", "connection.message_failed", { id: this.id, error });
          this.close(CloseCode.internalError, "Internal error");
        }
        return;
      case "close":
        this.#end(event instanceof CloseEvent ? event.code : 0);
        return;
      case "error": {
        const message = event instanceof ErrorEvent ? event.message : "error";
        log("debug", "connection.error", { id: this.id, message });
      }
    }
  }

  /** Current display name. */
  get user(): string {
    return this.#session.identity.name;
  }

  /** The user id of who the connection is now. */
  get userId(): string {
    return this.#session.identity.id;
  }

  /**
   * Acts on a control event about this connection's user (see `Session.control`).
   *
   * @param event The event.
   */
  control(event: ControlEvent): void {
    if (!this.closed) this.#session.control(event);
  }

  /**
   * Takes the connection out of rooms it is banned from now, as the store
   * says: after the control channel may have missed events.
   */
  recheckBans(): Promise<void> {
    return this.closed ? Promise.resolve() : this.#session.recheckBans();
  }

  /** Whether the connection has ended. */
  get closed(): boolean {
    return this.#ended;
  }

  /**
   * Closes the socket with `code` and stops feeding it; idempotent.
   *
   * @param code WebSocket close code.
   * @param reason Short human-readable reason (at most 123 bytes).
   */
  close(code: number, reason: string): void {
    // While draining after a close, the socket's readyState reads OPEN.
    if (this.closed) return;
    const state = this.#socket.readyState;
    if (state === OPEN || state === CONNECTING) {
      this.#metrics?.serverCloses.inc({ code: String(code) });
      try {
        if (state === OPEN) {
          closeAndDrain(this.#socket, code, reason, {
            timeoutMs: this.#config.closeTimeout,
          });
        } else this.#socket.close(code, reason);
      } catch (error) {
        log("debug", "connection.close_failed", { id: this.id, error });
      }
    }
    this.#end(code);
  }

  /**
   * Ends the connection if its socket has been closing or closed since the
   * previous call though `close` has not fired: Deno closes a socket that
   * missed a pong by itself and fires `close` only once the data buffered for
   * the peer is written, which a peer that stopped reading never allows (see
   * closing_sweep.ts). A socket seen closing for the first time is left a
   * sweep to finish an ordinary closing handshake.
   */
  endIfSocketClosed(): void {
    const state = this.#socket.readyState;
    if (
      this.closed || state === OPEN ||
      state === CONNECTING
    ) return;
    if (!this.#seenClosing) {
      this.#seenClosing = true;
      return;
    }
    log("info", "connection.closed_unacknowledged", {
      id: this.id,
      bufferedAmount: this.#socket.bufferedAmount,
    });
    this.#end(CloseCode.goingAway);
  }

  #onOpen(): void {
    log("debug", "connection.open", { id: this.id, mode: this.mode });
    if (this.#refusal) {
      if (this.mode === "json") this.#writer.error(this.#refusal);
      this.close(CloseCode.unauthorized, "Invalid token");
      return;
    }
    if (!this.#credentials.start()) {
      this.close(
        CloseCode.tooManyUserConnections,
        "Too many connections for this user",
      );
      return;
    }
    if (this.mode === "plain" && this.#credentials.required) {
      this.close(CloseCode.unauthorized, "Sign-in required: pass a token");
      return;
    }
    if (this.mode === "plain") {
      startPlainJoin(this.#plainJoin!, this);
      // The join's result (members, history) is not needed after this.
      this.#plainJoin = undefined;
      return;
    }
    this.#writer.reply(helloEvent({
      connectionId: this.id,
      identity: this.#credentials.identity,
      authRequired: this.#credentials.required,
    }, this.#config));
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
    if (this.mode === "json") {
      readRequest(data, this.#session, this.#config);
      return;
    }
    const close = readPlainText(
      data,
      this.#session,
      this.#config.maxMessageBytes,
    );
    if (close) this.close(close.code, close.reason);
  }

  #cutOffSlowConsumer(): void {
    this.#metrics?.slowConsumers.inc();
    log("info", "connection.slow_consumer", { id: this.id });
    this.close(CloseCode.tryAgainLater, "Slow consumer");
  }

  #end(code: number): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#credentials[Symbol.dispose]();
    this.#writer.end();
    this.#session.end();
    log("debug", "connection.close", { id: this.id, code });
    this.#onClose?.(this);
  }
}
