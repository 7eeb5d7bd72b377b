/**
 * What a session's requests are answered with (`room_join.ts`,
 * `message_actions.ts`, `moderation_requests.ts` and the session's own
 * `_*_requests.ts`), for `session.ts`: who the connection is, its rooms,
 * and the send budget that every request spends from.
 *
 * @module
 */
import type { Chat } from "../chat/chat.ts";
import type { Member } from "../chat/events.ts";
import type { Moderator } from "../chat/moderator.ts";
import { log } from "../observability/log.ts";
import { Budget } from "./budget.ts";
import type { ChatMetrics } from "./chat_metrics.ts";
import type { Config } from "./config.ts";
import type { Closable, ConnectionContext } from "./connection_context.ts";
import type { Credentials } from "./credentials.ts";
import type { Identity } from "./identity.ts";
import { Memberships } from "./memberships.ts";
import { CloseCode, ProtocolError } from "./protocol.ts";
import type { JoinContext } from "./room_join.ts";
import type { SocketWriter } from "./socket_writer.ts";
import type { TypingThrottle } from "./typing.ts";

/** Options for a `Session`, which its {@linkcode SessionContext} is made of. */
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

/**
 * A session's {@linkcode JoinContext}, and its send budget. A class rather
 * than an object literal with getters and arrow functions: every connection
 * holds one, and a literal's getters put it in dictionary mode (~830 bytes)
 * and its arrows are closures of their own, where a class instance is a
 * dozen fields and shares its methods.
 */
export class SessionContext implements JoinContext {
  readonly connectionId: string;
  readonly credentials: Credentials;
  readonly writer: SocketWriter;
  readonly chat: Chat;
  readonly moderator: Moderator;
  readonly editWindow: number;
  readonly rooms: Memberships;
  readonly config: Config;
  /** Counts rate-limited requests and publishes for `/metrics`. */
  readonly metrics: ChatMetrics | undefined;
  readonly now: () => number;
  /** Lets a user's typing through at most once per interval and room. */
  readonly typing: TypingThrottle;
  #budget: Budget;
  #connection: Closable;

  /** The context of the session that `options` describe. */
  constructor(options: SessionOptions) {
    const now = options.now ?? Date.now;
    this.connectionId = options.id;
    this.credentials = options.credentials;
    this.writer = options.feeds.writer;
    this.chat = options.chat;
    this.moderator = options.moderator;
    this.editWindow = options.config.editWindow;
    this.rooms = new Memberships({
      connectionId: options.id,
      feeds: options.feeds,
      chat: options.chat,
      moderator: options.moderator,
      now,
    });
    this.config = options.config;
    this.metrics = options.metrics;
    this.now = now;
    this.typing = options.typing;
    this.#budget = new Budget(options.config);
    this.#connection = options.feeds;
  }

  /** Whether the connection has ended. */
  closed(): boolean {
    return this.#connection.closed;
  }

  /**
   * Closes the connection; idempotent.
   *
   * @param code WebSocket close code.
   * @param reason Short human-readable reason.
   */
  close(code: number, reason: string): void {
    this.#connection.close(code, reason);
  }

  /** Who the connection is now. */
  get identity(): Identity {
    return this.credentials.identity;
  }

  /** The connection's user as room members see them. */
  get member(): Member {
    return memberOf(this.credentials.identity);
  }

  /**
   * Answers a frame that is not a valid request, within the control budget:
   * past it the frame goes unanswered, and persistent abuse closes (1008).
   */
  refuse(error: ProtocolError): void {
    if (this.withinControl()) this.writer.error(error);
  }

  /** Whether the identity may use `room`. */
  mayUse(room: string): boolean {
    return this.credentials.mayUse(room);
  }

  /** Takes a message token; answers an over-limit request and closes persistent abusers. */
  withinRate(nonce?: string): boolean {
    const verdict = this.#budget.spend("message");
    if (verdict === "ok") return true;
    this.#overBudget(verdict, "Rate limit exceeded");
    if (this.#connection.closed) return false;
    this.writer.error(
      new ProtocolError(
        "rate_limited",
        `Cannot send message: more than ${this.config.rateLimit} messages per second`,
        nonce,
      ),
    );
    return false;
  }

  /**
   * Takes a control token for a ping or a refused request. Past the budget
   * the frame goes unanswered: answering costs more than the frame.
   */
  withinControl(): boolean {
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
    this.metrics?.rateLimited.inc();
    if (verdict === "refused" && this.writer.mode !== "plain") return;
    log("info", "connection.rate_limit_close", { id: this.connectionId });
    this.#connection.close(CloseCode.policyViolation, reason);
  }
}

/**
 * A user as room members see them.
 *
 * @param identity Who the connection is.
 * @returns Its id and name, and whether it is a guest.
 */
export function memberOf({ id, name, guest }: Identity): Member {
  return guest ? { id, name, guest } : { id, name };
}
