/**
 * A connection's part in the chat: its display name, the rooms it is in, its
 * send budget, and the requests that change them (join, leave, send,
 * history, set_name, ping).
 *
 * @module
 */
import type { Chat, Joined } from "../chat/chat.ts";
import type { Broadcast } from "../chat/events.ts";
import { log } from "../observability/log.ts";
import type { ChatMetrics } from "./chat_metrics.ts";
import type { Config } from "./config.ts";
import {
  type ClientMessage,
  CloseCode,
  DEFAULT_ROOM,
  ProtocolError,
  type ServerEvent,
} from "./protocol.ts";
import { Budget } from "./budget.ts";
import { type FeedContext, RoomFeed } from "./room_feed.ts";

/** Options for {@linkcode Session}. */
export interface SessionOptions {
  /** The connection's id, for logs and to mark its own arrival. */
  id: string;
  /** Initial display name. */
  user: string;
  /** Server settings (limits). */
  config: Config;
  /** Where messages are posted and rooms joined. */
  chat: Chat;
  /** What the connection's room feeds share, its socket writer among it. */
  feeds: FeedContext;
  /** Ends the connection. */
  close: (code: number, reason: string) => void;
  /** Whether the connection has ended. */
  closed: () => boolean;
  /** Counts rate-limited requests and publishes for `/metrics`. */
  metrics?: ChatMetrics;
}

/** A plain-text connection's join of the default room, and the feed to start once its socket opens. */
export interface PlainJoin {
  joined: Promise<Joined>;
  feed: RoomFeed;
}

/** Whether a plain-text client sees `broadcast` (it sees chat text only, no presence). */
function hasPlainText(broadcast: Broadcast): boolean {
  return broadcast.plain !== null;
}

/** One connection's chat state and request handlers. */
export class Session {
  #options: SessionOptions;
  #user: string;
  #rooms = new Map<string, RoomFeed>();
  #budget: Budget;

  /** A session for one connection. */
  constructor(options: SessionOptions) {
    this.#options = options;
    this.#user = options.user;
    this.#budget = new Budget(options.config);
  }

  /** Current display name. */
  get user(): string {
    return this.#user;
  }

  get #writer() {
    return this.#options.feeds.writer;
  }

  /**
   * Joins the default room for a plain-text connection, before its socket
   * opens, so nothing published meanwhile is lost.
   *
   * @returns The join, and the feed to start with it once the socket is open.
   */
  joinPlain(): PlainJoin {
    const feed = this.#addFeed(DEFAULT_ROOM);
    const joined = this.#options.chat.join(DEFAULT_ROOM, this.#user, {
      ...feed.subscribeOptions(),
      since: false,
      origin: this.#options.id,
      members: false,
      accept: hasPlainText,
    });
    joined.then(() => {
      feed.ready = true;
      if (feed.ended) {
        this.#options.chat.leave(DEFAULT_ROOM, feed.user).catch(() => {});
      }
    }, () => {});
    return { joined, feed };
  }

  /**
   * Posts a plain-text client's message to the default room, within its rate.
   *
   * @param text Validated message text.
   */
  postPlain(text: string): void {
    if (!this.#withinRate()) return;
    this.#post(DEFAULT_ROOM, text);
  }

  /**
   * Answers a frame that is not a valid request, within the control budget:
   * past it the frame goes unanswered, and persistent abuse closes (1008).
   *
   * @param error Why the frame was refused.
   */
  refuse(error: ProtocolError): void {
    if (this.#withinControl()) this.#writer.error(error);
  }

  /** Takes a control token for a plain-text frame with nothing to post. */
  skipPlain(): void {
    this.#withinControl();
  }

  /**
   * Answers one `chat.v1` request.
   *
   * @param request The validated request.
   */
  handle(request: ClientMessage): void {
    switch (request.type) {
      case "join":
        // Joins that succeed are free so a reconnect can rejoin every room at
        // once; `maxRooms` bounds them, and the leave that makes room for
        // another costs a token, so join/leave cycles (each join reads
        // history) are rate-limited.
        this.#join(request.room, request.since, request.nonce);
        return;
      case "leave":
        if (!this.#requireJoined(request.room, request.nonce)) return;
        if (!this.#withinRate(request.nonce)) return;
        this.#leave(request.room);
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
          request.limit ?? this.#options.config.historyLimit,
          request.nonce,
        );
        return;
      case "set_name":
        if (!this.#withinRate(request.nonce)) return;
        this.#rename(request.name);
        return;
      case "ping":
        if (!this.#withinControl()) return;
        this.#writer.reply(
          request.nonce === undefined
            ? { type: "pong" }
            : { type: "pong", nonce: request.nonce },
        );
        return;
    }
  }

  /** Leaves every room; called once when the connection ends. */
  end(): void {
    for (const room of [...this.#rooms.keys()]) this.#dropFeed(room);
  }

  #addFeed(room: string): RoomFeed {
    const feed = new RoomFeed(this.#options.feeds, this.#user);
    this.#rooms.set(room, feed);
    return feed;
  }

  #join(room: string, since: number | undefined, nonce?: string): void {
    const { chat, config, id } = this.#options;
    if (this.#rooms.has(room)) {
      this.refuse(
        new ProtocolError(
          "already_joined",
          `Cannot join room: already in "${room}"`,
          nonce,
        ),
      );
      return;
    }
    if (this.#rooms.size >= config.maxRooms) {
      this.refuse(
        new ProtocolError(
          "too_many_rooms",
          `Cannot join room: already in ${config.maxRooms} rooms`,
          nonce,
        ),
      );
      return;
    }
    const feed = this.#addFeed(room);
    chat.join(room, feed.user, {
      ...feed.subscribeOptions(),
      since,
      historyLimit: config.historyLimit,
      memberLimit: config.largeRoom,
      origin: id,
    }).then(
      (joined) => {
        feed.ready = true;
        if (feed.ended) {
          chat.leave(room, feed.user).catch(() => {});
          return;
        }
        this.#writer.reply({
          type: "joined",
          room,
          members: joined.members,
          memberCount: joined.memberCount,
          messages: joined.history.messages,
          truncated: joined.history.truncated,
          hasMore: joined.history.hasMore,
        });
        feed.start(joined);
      },
      (error) => {
        // A join still running when the connection ended (as every one does
        // at shutdown, which then closes the store under it) fails harmlessly.
        log(this.#options.closed() ? "debug" : "error", "room.join_failed", {
          id,
          room,
          error,
        });
        if (this.#rooms.get(room) === feed) this.#rooms.delete(room);
        feed.controller.abort();
        this.#writer.error(
          new ProtocolError(
            "unavailable",
            "Cannot join room: the server cannot read its history now",
            nonce,
          ),
        );
      },
    );
  }

  #leave(room: string): void {
    this.#dropFeed(room);
    this.#writer.reply({ type: "left", room });
  }

  #dropFeed(room: string): void {
    const feed = this.#rooms.get(room);
    if (!feed) return;
    this.#rooms.delete(room);
    feed.controller.abort();
    // A join still in flight undoes its own presence when it completes.
    if (!feed.ready) return;
    this.#options.chat.leave(room, feed.user).catch((error) =>
      log("error", "room.leave_failed", { id: this.#options.id, room, error })
    );
  }

  #requireJoined(room: string, nonce?: string): boolean {
    if (this.#rooms.has(room)) return true;
    this.refuse(
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
    this.#writer.reply({ type: "renamed", user: name });
    if (previous === name) return;
    for (const feed of this.#rooms.values()) feed.user = name;
    this.#options.chat.rename(this.#rooms.keys(), previous, name).catch((
      error,
    ) => log("error", "room.rename_failed", { id: this.#options.id, error }));
  }

  #history(room: string, before: number, limit: number, nonce?: string): void {
    this.#options.chat.history(room, before, limit).then(
      (page) =>
        this.#writer.reply({
          type: "history",
          room,
          messages: page.messages,
          hasMore: page.hasMore,
        }),
      (error) => {
        log("error", "room.history_failed", {
          id: this.#options.id,
          room,
          error,
        });
        this.#writer.error(
          new ProtocolError("unavailable", "Cannot read history now", nonce),
        );
      },
    );
  }

  /** Takes a message token; answers an over-limit request and closes persistent abusers. */
  #withinRate(nonce?: string): boolean {
    const { config } = this.#options;
    const verdict = this.#budget.spend("message");
    if (verdict === "ok") return true;
    this.#overBudget(verdict, "Rate limit exceeded");
    if (this.#options.closed()) return false;
    this.#writer.error(
      new ProtocolError(
        "rate_limited",
        `Cannot send message: more than ${config.rateLimit} messages per second`,
        nonce,
      ),
    );
    return false;
  }

  /**
   * Takes a control token for a ping or a refused request. Past the budget
   * the frame goes unanswered: answering costs more than the frame.
   */
  #withinControl(): boolean {
    const verdict = this.#budget.spend("control");
    if (verdict === "ok") return true;
    this.#overBudget(verdict, "Too many requests");
    return false;
  }

  /**
   * Counts a frame refused by the budget, and closes the connection with
   * 1008 when that happened too often in a row, or at once in plain text,
   * whose clients cannot be told.
   */
  #overBudget(verdict: "refused" | "exhausted", reason: string): void {
    this.#options.metrics?.rateLimited.inc();
    if (verdict === "refused" && this.#writer.mode !== "plain") return;
    log("info", "connection.rate_limit_close", { id: this.#options.id });
    this.#options.close(CloseCode.policyViolation, reason);
  }

  #post(room: string, text: string, nonce?: string): void {
    const { chat, metrics, id } = this.#options;
    const draft = nonce === undefined
      ? { user: this.#user, text }
      : { user: this.#user, text, nonce };
    const started = performance.now();
    chat.post(room, draft).then(
      ({ message, duplicate }) => {
        metrics?.onPublished(performance.now() - started, true);
        if (this.#writer.mode !== "json") return;
        const ack: ServerEvent = {
          type: "ack",
          id: message.id,
          room: message.room,
          ts: message.ts,
          duplicate,
        };
        if (nonce !== undefined) ack.nonce = nonce;
        this.#writer.reply(ack);
      },
      (error) => {
        metrics?.onPublished(performance.now() - started, false);
        // As with joins: a send still being stored when its connection
        // ended (at shutdown, the store closes under it) is expected; the
        // client re-sends it with its nonce. The metric counts it either way.
        log(this.#options.closed() ? "debug" : "error", "message.post_failed", {
          id,
          room,
          error,
        });
        if (this.#writer.mode === "plain") {
          this.#options.close(
            CloseCode.tryAgainLater,
            "Cannot store message now",
          );
          return;
        }
        this.#writer.error(
          new ProtocolError(
            "unavailable",
            "Cannot send message: the server cannot store it now; send it again later",
            nonce,
          ),
        );
      },
    );
  }
}
