/**
 * One WebSocket client: reads its frames, enforces the limits, keeps its room
 * memberships, and feeds it each room's events without letting its send
 * buffer grow past a bound.
 *
 * @module
 */
import { SlowConsumerError } from "../broker.ts";
import { type Broadcast, utf8Length } from "../chat/events.ts";
import type { Chat, Joined } from "../chat/chat.ts";
import type { ChatMetrics } from "./chat_metrics.ts";
import type { Config } from "./config.ts";
import type { DrainWatcher } from "./drain_watcher.ts";
import { log } from "../observability/log.ts";
import {
  batchFrame,
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
/**
 * Replies (`joined`, `history`, acks…) may fill the send buffer to this many
 * times `maxBufferedBytes`; past it the client is not reading and is cut off.
 */
const REPLY_BUFFER_FACTOR = 2;

/** Options for {@linkcode Connection}. */
export interface ConnectionOptions {
  /** Plain text (tutorial-compatible) or `chat.v1` JSON. */
  mode: ConnectionMode;
  /** Initial display name. */
  user: string;
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
}

/**
 * What a room's sender needs from a {@linkcode Joined}. The sender runs for
 * the socket's life and an async function keeps its arguments as long, so
 * it gets this instead of the join's member list and history.
 */
interface Feed {
  subscription: Joined["subscription"];
  /** Live messages up to this id were in the history sent on joining; 0 once past them. */
  lastHistoryId: number;
  /** Whether the announcement of this connection's own arrival is still to be skipped. */
  skipOwnArrival: boolean;
  /** Set when a direct delivery left the send buffer over its bound: wait for it to drain before sending more. */
  paused: boolean;
}

/** Whether a plain-text client sees `broadcast` (it sees chat text only, no presence). */
function hasPlainText(broadcast: Broadcast): boolean {
  return broadcast.plain !== null;
}

function feedOf(joined: Joined, mode: ConnectionMode): Feed {
  return {
    subscription: joined.subscription,
    lastHistoryId: joined.lastHistoryId,
    // Plain-text clients see no presence, so there is no arrival to skip.
    skipOwnArrival: joined.announced && mode === "json",
    paused: false,
  };
}

/** One room this connection is in. */
interface Membership {
  /** Ends this membership's subscription. */
  controller: AbortController;
  /** Name under which the connection is present in the room. */
  user: string;
  /** Whether the join completed, so presence must be undone on leave. */
  ready: boolean;
  /** The room's sender state, once the join has completed. */
  feed?: Feed;
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
  #user: string;
  #config: Config;
  #chat: Chat;
  #drainWatcher: DrainWatcher;
  #onClose?: (connection: Connection) => void;
  #metrics?: ChatMetrics;
  #abort = new AbortController();
  /** Created at the first request that needs a token: an idle connection never does. */
  #bucket: TokenBucket | undefined;
  #strikes = 0;
  #maxFrameLength: number;
  #rooms = new Map<string, Membership>();
  #plainJoin: Promise<Joined> | undefined;
  /** Whether a sweep has seen the socket closing (see endIfSocketClosed). */
  #seenClosing = false;

  /** Wires the socket's events; a plain-text connection joins the default room. */
  constructor(socket: WebSocket, options: ConnectionOptions) {
    this.mode = options.mode;
    this.#socket = socket;
    this.#user = options.user;
    this.#config = options.config;
    this.#chat = options.chat;
    this.#drainWatcher = options.drainWatcher;
    this.#onClose = options.onClose;
    this.#metrics = options.metrics;
    this.#maxFrameLength = this.mode === "plain"
      ? this.#config.maxMessageBytes
      : this.#config.maxMessageBytes * JSON_ESCAPE_FACTOR +
        FRAME_OVERHEAD_BYTES;
    if (this.mode === "plain") {
      const options = this.#membership(DEFAULT_ROOM);
      const membership = this.#rooms.get(DEFAULT_ROOM)!;
      this.#plainJoin = this.#chat.join(DEFAULT_ROOM, this.#user, {
        ...options,
        since: false,
        origin: this.id,
        members: false,
        accept: hasPlainText,
      });
      this.#plainJoin.then(() => {
        membership.ready = true;
        if (options.signal.aborted) {
          this.#chat.leave(DEFAULT_ROOM, membership.user).catch(() => {});
        }
      }, () => {});
    }
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
      this.closed || state === WebSocket.OPEN ||
      state === WebSocket.CONNECTING
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
    if (this.mode === "plain") {
      const join = this.#plainJoin!;
      // The join's result (members, history) is not needed after this.
      this.#plainJoin = undefined;
      join.then(
        (joined) =>
          this.#pump(
            DEFAULT_ROOM,
            this.#rooms.get(DEFAULT_ROOM),
            feedOf(joined, this.mode),
          ),
        (error) => {
          log("error", "connection.join_failed", { id: this.id, error });
          this.close(CloseCode.tryAgainLater, "Cannot join the room now");
        },
      );
      return;
    }
    this.#send({
      type: "hello",
      protocol: JSON_PROTOCOL,
      connectionId: this.id,
      user: this.#user,
      defaultRoom: DEFAULT_ROOM,
      limits: {
        maxMessageBytes: this.#config.maxMessageBytes,
        maxNameLength: MAX_NAME_LENGTH,
        rateLimit: this.#config.rateLimit,
        rateBurst: this.#config.rateBurst,
        historyLimit: this.#config.historyLimit,
        maxRooms: this.#config.maxRooms,
        largeRoom: this.#config.largeRoom,
      },
    });
  }

  /** Registers a membership of `room` and returns the subscription options bound to it. */
  #membership(room: string) {
    const controller = new AbortController();
    const membership: Membership = {
      controller,
      user: this.#user,
      ready: false,
    };
    this.#rooms.set(room, membership);
    return {
      deliver: (batch: readonly Broadcast[]) =>
        this.#deliver(membership, batch),
      // The connection's end aborts every membership (#end), so the
      // membership's own signal is enough; AbortSignal.any() would keep a
      // dependent signal and its bookkeeping per room for the socket's life.
      signal: controller.signal,
      maxQueueLength: this.#config.maxQueueLength,
      onSlowConsumer: () => this.#cutOffSlowConsumer(),
    };
  }

  /**
   * Feeds one room's events to the socket until the subscription ends. While
   * this loop is parked, the broker hands batches to
   * {@linkcode Connection.#deliver} directly; the loop sends only what that
   * refused, and waits for the send buffer to drain.
   */
  async #pump(
    room: string,
    membership: Membership | undefined,
    feed: Feed,
  ): Promise<void> {
    const socket = this.#socket;
    const { maxBufferedBytes } = this.#config;
    const signal = membership?.controller.signal;
    if (membership) membership.feed = feed;
    try {
      for await (const batch of feed.subscription) {
        if (!this.#canSend(signal)) break;
        if (feed.paused || socket.bufferedAmount > maxBufferedBytes) {
          await this.#drainWatcher.wait(socket, maxBufferedBytes / 2, signal);
          feed.paused = false;
          if (!this.#canSend(signal)) break;
        }
        this.#sendBatch(feed, batch);
        if (socket.bufferedAmount > maxBufferedBytes) {
          await this.#drainWatcher.wait(socket, maxBufferedBytes / 2, signal);
        }
      }
    } catch (error) {
      if (error instanceof SlowConsumerError || this.closed) return;
      log("error", "connection.pump_failed", { id: this.id, room, error });
      this.close(CloseCode.internalError, "Internal error");
    }
  }

  /**
   * Sends a batch the broker hands over directly (see
   * `SubscribeOptions.deliver` in broker.ts); refuses it before the join has
   * completed, while the send buffer drains, or once the room is left, so
   * that {@linkcode Connection.#pump} deals with it.
   */
  #deliver(membership: Membership, batch: readonly Broadcast[]): boolean {
    const feed = membership.feed;
    const signal = membership.controller.signal;
    if (feed === undefined || feed.paused || !this.#canSend(signal)) {
      return false;
    }
    // The bound is the socket's, shared by all its rooms: a room must not
    // add to a buffer another room has already filled.
    if (this.#socket.bufferedAmount > this.#config.maxBufferedBytes) {
      feed.paused = true;
      return false;
    }
    try {
      this.#sendBatch(feed, batch);
      if (this.#socket.bufferedAmount > this.#config.maxBufferedBytes) {
        feed.paused = true;
      }
    } catch (error) {
      // Never throw into the broker, which is delivering to others too.
      log("error", "connection.deliver_failed", { id: this.id, error });
      this.close(CloseCode.internalError, "Internal error");
    }
    return true;
  }

  #canSend(signal: AbortSignal | undefined): boolean {
    return this.#socket.readyState === WebSocket.OPEN && !signal?.aborted;
  }

  /** Sends a batch, skipping messages the join's history held and the joiner's own arrival. */
  #sendBatch(feed: Feed, batch: readonly Broadcast[]): void {
    if (feed.lastHistoryId > 0 || feed.skipOwnArrival) {
      const lastHistoryId = feed.lastHistoryId;
      const ownArrival = feed.skipOwnArrival
        ? batch.findIndex((event) => event.origin === this.id)
        : -1;
      if (ownArrival >= 0) feed.skipOwnArrival = false;
      batch = batch.filter((event, index) =>
        index !== ownArrival &&
        (event.id === null || event.id > lastHistoryId)
      );
      if (batch.some((event) => event.id !== null)) feed.lastHistoryId = 0;
      if (batch.length === 0) return;
    }
    if (this.mode === "json") this.#sendJsonBatch(batch);
    else this.#sendPlainBatch(batch);
  }

  /** Sends a batch as one frame: the event itself, or a JSON array of events. */
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
    this.#socket.send(frame);
    this.#metrics?.onFramesSent("json", 1, bytes, batch.length);
  }

  /** Sends each chat message of a batch as its own frame (the plain protocol), counting them once. */
  #sendPlainBatch(batch: readonly Broadcast[]): void {
    const socket = this.#socket;
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
        historyLimit: this.#config.historyLimit,
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
    this.#post(DEFAULT_ROOM, text);
  }

  #handle(request: ClientMessage): void {
    switch (request.type) {
      case "join":
        this.#join(request.room, request.since, request.nonce);
        return;
      case "leave":
        // Joins are free so a reconnect can rejoin every room at once; a leave
        // costs a token, so join/leave cycles (each join reads history) are
        // rate-limited while `maxRooms` bounds joins without leaves.
        if (!this.#withinRate(request.nonce)) return;
        this.#leave(request.room, request.nonce);
        return;
      case "send":
        if (!this.#requireJoined(request.room, request.nonce)) return;
        if (!this.#withinRate(request.nonce)) return;
        this.#post(request.room, request.text, request.nonce);
        return;
      case "history":
        if (!this.#requireJoined(request.room, request.nonce)) return;
        if (!this.#withinRate(request.nonce)) return;
        this.#history(
          request.room,
          request.before,
          request.limit ?? this.#config.historyLimit,
          request.nonce,
        );
        return;
      case "set_name":
        if (!this.#withinRate(request.nonce)) return;
        this.#rename(request.name);
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

  #join(room: string, since: number | undefined, nonce?: string): void {
    if (this.#rooms.has(room)) {
      this.#sendError(
        new ProtocolError(
          "already_joined",
          `Cannot join room: already in "${room}"`,
          nonce,
        ),
      );
      return;
    }
    if (this.#rooms.size >= this.#config.maxRooms) {
      this.#sendError(
        new ProtocolError(
          "too_many_rooms",
          `Cannot join room: already in ${this.#config.maxRooms} rooms`,
          nonce,
        ),
      );
      return;
    }
    const options = this.#membership(room);
    const membership = this.#rooms.get(room)!;
    this.#chat.join(room, membership.user, {
      ...options,
      since,
      historyLimit: this.#config.historyLimit,
      memberLimit: this.#config.largeRoom,
      origin: this.id,
    }).then(
      (joined) => {
        membership.ready = true;
        if (options.signal.aborted) {
          this.#chat.leave(room, membership.user).catch(() => {});
          return;
        }
        this.#send({
          type: "joined",
          room,
          members: joined.members,
          memberCount: joined.memberCount,
          messages: joined.history.messages,
          truncated: joined.history.truncated,
          hasMore: joined.history.hasMore,
        });
        this.#pump(room, membership, feedOf(joined, this.mode));
      },
      (error) => {
        // A join still running when the connection ended (as every one does
        // at shutdown, which then closes the store under it) fails harmlessly.
        log(this.closed ? "debug" : "error", "room.join_failed", {
          id: this.id,
          room,
          error,
        });
        if (this.#rooms.get(room) === membership) this.#rooms.delete(room);
        membership.controller.abort();
        this.#sendError(
          new ProtocolError(
            "unavailable",
            "Cannot join room: the server cannot read its history now",
            nonce,
          ),
        );
      },
    );
  }

  #leave(room: string, nonce?: string): void {
    if (!this.#requireJoined(room, nonce)) return;
    this.#dropMembership(room);
    this.#send({ type: "left", room });
  }

  #dropMembership(room: string): void {
    const membership = this.#rooms.get(room);
    if (!membership) return;
    this.#rooms.delete(room);
    membership.controller.abort();
    // A join still in flight undoes its own presence when it completes.
    if (!membership.ready) return;
    this.#chat.leave(room, membership.user).catch((error) =>
      log("error", "room.leave_failed", { id: this.id, room, error })
    );
  }

  #requireJoined(room: string, nonce?: string): boolean {
    if (this.#rooms.has(room)) return true;
    this.#sendError(
      new ProtocolError(
        "not_joined",
        `Cannot use room: join "${room}" first`,
        nonce,
      ),
    );
    return false;
  }

  #rename(name: string): void {
    const previous = this.#user;
    this.#user = name;
    this.#send({ type: "renamed", user: name });
    if (previous === name) return;
    for (const membership of this.#rooms.values()) membership.user = name;
    this.#chat.rename(this.#rooms.keys(), previous, name).catch((error) =>
      log("error", "room.rename_failed", { id: this.id, error })
    );
  }

  #history(room: string, before: number, limit: number, nonce?: string): void {
    this.#chat.history(room, before, limit).then(
      (page) =>
        this.#send({
          type: "history",
          room,
          messages: page.messages,
          hasMore: page.hasMore,
        }),
      (error) => {
        log("error", "room.history_failed", { id: this.id, room, error });
        this.#sendError(
          new ProtocolError(
            "unavailable",
            "Cannot read history now",
            nonce,
          ),
        );
      },
    );
  }

  /** Takes a rate token; answers an over-limit request and closes persistent abusers. */
  #withinRate(nonce?: string): boolean {
    this.#bucket ??= new TokenBucket({
      rate: this.#config.rateLimit,
      burst: this.#config.rateBurst,
    });
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

  #post(room: string, text: string, nonce?: string): void {
    const draft = nonce === undefined
      ? { user: this.#user, text }
      : { user: this.#user, text, nonce };
    const started = performance.now();
    this.#chat.post(room, draft).then(
      ({ message, duplicate }) => {
        this.#metrics?.onPublished(performance.now() - started, true);
        if (this.mode !== "json") return;
        const ack: ServerEvent = {
          type: "ack",
          id: message.id,
          room: message.room,
          ts: message.ts,
          duplicate,
        };
        if (nonce !== undefined) ack.nonce = nonce;
        this.#send(ack);
      },
      (error) => {
        this.#metrics?.onPublished(performance.now() - started, false);
        // As with joins: a send still being stored when its connection
        // ended (at shutdown, the store closes under it) is expected; the
        // client re-sends it with its nonce. The metric counts it either way.
        log(this.closed ? "debug" : "error", "message.post_failed", {
          id: this.id,
          room,
          error,
        });
        if (this.mode === "plain") {
          this.close(CloseCode.tryAgainLater, "Cannot store message now");
          return;
        }
        this.#sendError(
          new ProtocolError(
            "unavailable",
            "Cannot send message: the server cannot store it now; send it again later",
            nonce,
          ),
        );
      },
    );
  }

  #send(event: ServerEvent): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    // Replies do not wait for the buffer to drain as room messages do; a
    // client that keeps asking (join, history) without reading would
    // otherwise grow it without bound.
    if (
      this.#socket.bufferedAmount >
        this.#config.maxBufferedBytes * REPLY_BUFFER_FACTOR
    ) {
      this.#cutOffSlowConsumer();
      return;
    }
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
    for (const room of [...this.#rooms.keys()]) this.#dropMembership(room);
    log("debug", "connection.close", { id: this.id, code });
    this.#onClose?.(this);
  }
}
