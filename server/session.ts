/**
 * A connection's part in the chat: who it is, the rooms it is in, its send
 * budget, and the requests that change them (auth, join, leave, send,
 * history, set_name, ping; edit and delete in `message_actions.ts`, ban,
 * unban and kick in `moderation_requests.ts`, the room directory in
 * `directory_request.ts`), and what moderation does to
 * it (bans, kicks, the end of all its connections).
 *
 * @module
 */
import type { Chat, Joined } from "../chat/chat.ts";
import type { ControlEvent } from "../chat/control.ts";
import type { Broadcast, Member } from "../chat/events.ts";
import type { Draft } from "../chat/history.ts";
import type { Moderator } from "../chat/moderator.ts";
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
import type { Credential, Credentials } from "./credentials.ts";
import type { Identity } from "./identity.ts";
import { Budget } from "./budget.ts";
import { Memberships } from "./memberships.ts";
import { memberOf, SessionContext } from "./_session_context.ts";
import { joinRoom, nameFree, nameTaken } from "./room_join.ts";
import { amendMessage } from "./message_actions.ts";
import { sendDirectory } from "./directory_request.ts";
import { moderate } from "./moderation_requests.ts";
import type { ConnectionContext } from "./connection_context.ts";
import type { RoomFeed } from "./room_feed.ts";
import type { TypingThrottle } from "./typing.ts";

/** Options for {@linkcode Session}. */
export interface SessionOptions {
  /** The connection's id, for logs and to mark its own arrival. */
  id: string;
  /** Who the connection is, and its sign-in. */
  credentials: Credentials;
  /** Server settings (limits). */
  config: Config;
  /** Where messages are posted and rooms joined. */
  chat: Chat;
  /** What the connection's parts share: its socket writer, and how to end it. */
  feeds: ConnectionContext;
  /** Counts rate-limited requests and publishes for `/metrics`. */
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

/** A plain-text connection's join of the default room, and the feed to start once its socket opens. */
export interface PlainJoin {
  joined: Promise<Joined>;
  feed: RoomFeed;
  /** Whether the user is banned from the room, which closes the connection (4403). */
  banned: Promise<boolean>;
}

/** Requests a connection may send while its sign-in is verified; the rest wait for it. */
const MAX_WAITING_REQUESTS = 64;

/** Whether a plain-text client sees `broadcast` (it sees chat text only, no presence). */
function hasPlainText(broadcast: Broadcast): boolean {
  return broadcast.plain !== null;
}

/** One connection's chat state and request handlers. */
export class Session {
  #options: SessionOptions;
  #rooms: Memberships;
  /** Requests that arrived while a sign-in was being verified, in order. */
  #waiting: ClientMessage[] | undefined;
  #budget: Budget;
  #context: SessionContext;

  /** A session for one connection. */
  constructor(options: SessionOptions) {
    this.#options = options;
    this.#budget = new Budget(options.config);
    const now = options.now ?? Date.now;
    this.#rooms = new Memberships({
      connectionId: options.id,
      feeds: options.feeds,
      chat: options.chat,
      moderator: options.moderator,
      now,
    });
    this.#context = new SessionContext({
      connectionId: options.id,
      credentials: options.credentials,
      writer: options.feeds.writer,
      refuser: this,
      chat: options.chat,
      moderator: options.moderator,
      rooms: this.#rooms,
      config: options.config,
      now,
      connection: options.feeds,
    });
  }

  /** Who the connection is now. */
  get identity(): Identity {
    return this.#options.credentials.identity;
  }

  /** The connection's user as room members see them. */
  get #member(): Member {
    return memberOf(this.identity);
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
    const feed = this.#rooms.add(DEFAULT_ROOM, this.#member);
    const joined = this.#options.chat.join(DEFAULT_ROOM, feed.member, {
      ...feed.subscribeOptions(),
      since: false,
      origin: this.#options.id,
      members: false,
      accept: hasPlainText,
    });
    joined.then(() => {
      feed.ready = true;
      if (feed.ended) {
        this.#options.chat.leave(DEFAULT_ROOM, feed.member).catch(() => {});
      }
    }, () => {});
    const banned = this.#options.moderator.banOf(this.identity.id, DEFAULT_ROOM)
      .then((ban) => ban !== undefined);
    return { joined, feed, banned };
  }

  /**
   * Posts a plain-text client's message to the default room, within its rate.
   *
   * @param text Validated message text.
   */
  postPlain(text: string): void {
    if (!this.#withinRate()) return;
    if (this.#options.credentials.readOnly) {
      this.#options.feeds.close(
        CloseCode.policyViolation,
        "Guests may only read",
      );
      return;
    }
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
    if (this.#waiting) {
      if (this.#waiting.length < MAX_WAITING_REQUESTS) {
        this.#waiting.push(request);
      } else {
        this.#options.feeds.close(
          CloseCode.policyViolation,
          "Too many requests before sign-in",
        );
      }
      return;
    }
    const { credentials } = this.#options;
    if (
      credentials.required && request.type !== "auth" &&
      request.type !== "ping"
    ) {
      this.refuse(
        new ProtocolError(
          "auth_required",
          'Cannot answer request: sign in first with "auth"',
          request.nonce,
        ),
      );
      return;
    }
    switch (request.type) {
      case "auth":
        // Free like a join, so a reconnect signs in at once; a refused one
        // takes a token (below), so guessing is rate-limited.
        this.#signIn(
          "token" in request
            ? { token: request.token }
            : { guestKey: request.guestKey },
          request.nonce,
        );
        return;
      case "join":
        joinRoom(this.#context, request);
        return;
      case "leave":
        if (!this.#requireJoined(request.room, request.nonce)) return;
        if (!this.#withinRate(request.nonce)) return;
        this.#leave(request.room);
        return;
      case "send":
        if (!this.#requireJoined(request.room, request.nonce)) return;
        if (!this.#withinRate(request.nonce)) return;
        if (credentials.readOnly) {
          this.refuse(
            new ProtocolError(
              "read_only",
              "Cannot send message: guests may only read here; sign in to send",
              request.nonce,
            ),
          );
          return;
        }
        this.#post(request.room, request.text, request.nonce);
        return;
      case "history":
        if (!this.#requireJoined(request.room, request.nonce)) return;
        if (!this.#withinRate(request.nonce)) return;
        this.#history(request);
        return;
      case "edit":
      case "delete":
        if (!this.#requireJoined(request.room, request.nonce)) return;
        if (!this.#withinRate(request.nonce)) return;
        amendMessage(this.#context, request);
        return;
      case "typing":
        if (!this.#requireJoined(request.room, request.nonce)) return;
        if (!this.#withinControl()) return;
        this.#typing(request.room);
        return;
      case "ban":
      case "unban":
      case "kick":
        if (!this.#withinRate(request.nonce)) return;
        moderate(this.#context, request);
        return;
      case "set_name":
        if (!this.#withinRate(request.nonce)) return;
        this.#rename(request.name, request.nonce);
        return;
      case "rooms":
        if (!this.#withinRate(request.nonce)) return;
        sendDirectory(this.#context, request.nonce);
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
    this.#rooms.end();
  }

  /**
   * Acts on a control event about this connection's user: a ban or a kick
   * takes it out of the room (every room for a server-wide ban) with `left`
   * (a plain-text connection, which has only the one room, is closed), and
   * a disconnection closes it (4410).
   *
   * @param event The event, for this connection's user.
   */
  control(event: ControlEvent): void {
    if (event.type === "disconnect") {
      this.#options.feeds.close(
        CloseCode.disconnected,
        "Disconnected by the server",
      );
    } else this.#rooms.control(event);
  }

  /**
   * Takes the connection out of every room whose ban the control channel
   * may have missed: the store is asked for each.
   */
  recheckBans(): Promise<void> {
    return this.#rooms.recheck(this.identity.id);
  }

  /** Tells the room's other members that this user is typing, at most once per interval. */
  #typing(room: string): void {
    const { typing, chat, id } = this.#options;
    if (!typing.allow(this.identity.id, room)) return;
    chat.typing({ type: "typing", room, user: this.#member }, id).catch(
      (error) => log("warn", "room.typing_failed", { id, room, error }),
    );
  }

  /**
   * Verifies a sign-in while later requests wait, then answers it and lets
   * them through in order. A connection with nobody to fall back on (guests
   * are not allowed) is closed when its sign-in fails.
   */
  #signIn(credential: Credential, nonce?: string): void {
    const { credentials } = this.#options;
    this.#waiting = [];
    credentials.signIn(credential, this.#rooms.size > 0).then(
      (identity) => {
        const reply: ServerEvent = {
          type: "authenticated",
          user: {
            id: identity.id,
            name: identity.name,
            role: identity.role,
            guest: identity.guest,
          },
        };
        if (identity.expiresAt !== undefined) {
          reply.expiresAt = identity.expiresAt;
        }
        if (nonce !== undefined) reply.nonce = nonce;
        this.#writer.reply(reply);
        this.#afterSignIn();
      },
      (error) => {
        if (!(error instanceof ProtocolError)) {
          log("error", "connection.sign_in_failed", {
            id: this.#options.id,
            error,
          });
          error = new ProtocolError(
            "unavailable",
            "Cannot sign in now: try again later",
          );
        }
        this.#writer.error(
          new ProtocolError(error.code, error.message, nonce),
        );
        if (!this.#withinRate(nonce)) return;
        if (error.code === "too_many_connections") {
          this.#options.feeds.close(
            CloseCode.tooManyUserConnections,
            "Too many connections for this user",
          );
        } else if (credentials.required && error.code !== "unavailable") {
          this.#options.feeds.close(CloseCode.unauthorized, "Invalid token");
        }
      },
    ).finally(() => {
      const waiting = this.#waiting ?? [];
      this.#waiting = undefined;
      if (this.#options.feeds.closed) return;
      for (const request of waiting) this.handle(request);
    });
  }

  /**
   * After a sign-in or a token refresh: each room is told the user's name
   * if it changed, and rooms the new token no longer opens are left.
   */
  #afterSignIn(): void {
    const { credentials, chat, id } = this.#options;
    const member = this.#member;
    const renamed: string[] = [];
    for (const [room, feed] of this.#rooms.entries()) {
      if (!credentials.mayUse(room)) {
        this.#rooms.drop(room);
        this.#writer.reply({ type: "left", room, reason: "forbidden" });
        continue;
      }
      if (feed.member.name !== member.name) renamed.push(room);
      feed.member = member;
    }
    if (renamed.length === 0) return;
    chat.rename(renamed, member).catch((error) =>
      log("error", "room.rename_failed", { id, error })
    );
  }

  #leave(room: string): void {
    this.#rooms.drop(room);
    this.#writer.reply({ type: "left", room });
  }

  /** Whether the connection is in `room` and may still use it; answers the refusal otherwise. */
  #requireJoined(room: string, nonce?: string): boolean {
    const banned = this.#rooms.banned(room, nonce);
    if (banned) {
      this.refuse(banned);
      return false;
    }
    if (!this.#rooms.has(room)) {
      this.refuse(
        new ProtocolError(
          "not_joined",
          `Cannot use room: join "${room}" first`,
          nonce,
        ),
      );
      return false;
    }
    if (this.#options.credentials.mayUse(room)) return true;
    this.refuse(
      new ProtocolError(
        "forbidden",
        `Cannot use room: "${room}" is not open to this user`,
        nonce,
      ),
    );
    return false;
  }

  #rename(name: string, nonce?: string): void {
    const { credentials } = this.#options;
    if (!this.identity.guest) {
      this.refuse(
        new ProtocolError(
          "bad_request",
          "Cannot set name: a signed-in user's name comes from their token",
          nonce,
        ),
      );
      return;
    }
    nameFree(this.#context, this.#rooms.entries().map(([room]) => room), name)
      .then(
        (free) => {
          if (this.#options.feeds.closed) return;
          if (!free) {
            this.refuse(nameTaken(nonce));
            return;
          }
          const previous = this.identity.name;
          credentials.rename(name);
          this.#writer.reply(
            nonce === undefined
              ? { type: "renamed", user: name }
              : { type: "renamed", user: name, nonce },
          );
          if (previous !== name) this.#afterSignIn();
        },
        (error) => {
          log("error", "room.rename_failed", { id: this.#options.id, error });
          this.#writer.error(
            new ProtocolError("unavailable", "Cannot set name now", nonce),
          );
        },
      );
  }

  #history(
    { room, before, since, limit, nonce }: Extract<
      ClientMessage,
      { type: "history" }
    >,
  ): void {
    const { chat, config } = this.#options;
    chat.history(room, before, limit ?? config.historyLimit, since).then(
      (page) =>
        this.#writer.reply({
          type: "history",
          room,
          messages: page.messages,
          hasMore: page.hasMore,
          epoch: page.epoch,
        }),
      (error) => {
        // A read cut short by the connection's end (shutdown) is no fault.
        log(
          this.#options.feeds.closed ? "debug" : "error",
          "room.history_failed",
          {
            id: this.#options.id,
            room,
            error,
          },
        );
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
    if (this.#options.feeds.closed) return false;
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
    this.#options.feeds.close(CloseCode.policyViolation, reason);
  }

  #post(room: string, text: string, nonce?: string): void {
    const { chat, metrics, id } = this.#options;
    const { id: userId, name: user, guest } = this.identity;
    const draft: Draft = { userId, user, text };
    if (guest) draft.guest = true;
    if (nonce !== undefined) draft.nonce = nonce;
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
        log(
          this.#options.feeds.closed ? "debug" : "error",
          "message.post_failed",
          {
            id,
            room,
            error,
          },
        );
        if (this.#writer.mode === "plain") {
          this.#options.feeds.close(
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
