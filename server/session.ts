/**
 * A connection's part in the chat: who it is, the rooms it is in, its send
 * budget, and the requests that change them. The requests are answered in
 * their own modules (auth and set_name in `_identity_requests.ts`; leave,
 * send, history and typing in `_room_requests.ts`; join in `room_join.ts`;
 * edit and delete in `message_actions.ts`; ban, unban and kick in
 * `moderation_requests.ts`; the room directory in `directory_request.ts`);
 * the session checks each against sign-in and the budget, holds requests
 * back while a sign-in is verified, and acts on what moderation does to the
 * connection (bans, kicks, the end of all its connections).
 *
 * @module
 */
import type { ControlEvent } from "../chat/control.ts";
import {
  type ClientMessage,
  CloseCode,
  DEFAULT_ROOM,
  ProtocolError,
} from "./protocol.ts";
import type { Identity } from "./identity.ts";
import { SessionContext, type SessionOptions } from "./_session_context.ts";
import { joinPlain, type PlainJoin } from "./_plain_join.ts";
import { rename, signIn } from "./_identity_requests.ts";
import {
  leave,
  post,
  requireJoined,
  sendHistory,
  sendTyping,
} from "./_room_requests.ts";
import { joinRoom } from "./room_join.ts";
import { amendMessage } from "./message_actions.ts";
import { sendDirectory } from "./directory_request.ts";
import { moderate } from "./moderation_requests.ts";

export type { SessionOptions };

/** Requests a connection may send while its sign-in is verified; the rest wait for it. */
const MAX_WAITING_REQUESTS = 64;

/** One connection's chat state and request handlers. */
export class Session {
  #context: SessionContext;
  /** Requests that arrived while a sign-in was being verified, in order. */
  #waiting: ClientMessage[] | undefined;

  /** A session for one connection. */
  constructor(options: SessionOptions) {
    this.#context = new SessionContext(options);
  }

  /** Who the connection is now. */
  get identity(): Identity {
    return this.#context.identity;
  }

  /**
   * Joins the default room for a plain-text connection, before its socket
   * opens, so nothing published meanwhile is lost.
   *
   * @returns The join, and the feed to start with it once the socket is open.
   */
  joinPlain(): PlainJoin {
    return joinPlain(this.#context);
  }

  /**
   * Posts a plain-text client's message to the default room, within its rate.
   *
   * @param text Validated message text.
   */
  postPlain(text: string): void {
    const context = this.#context;
    if (!context.withinRate()) return;
    if (context.credentials.readOnly) {
      context.close(CloseCode.policyViolation, "Guests may only read");
      return;
    }
    post(context, DEFAULT_ROOM, text);
  }

  /**
   * Answers a frame that is not a valid request, within the control budget:
   * past it the frame goes unanswered, and persistent abuse closes (1008).
   *
   * @param error Why the frame was refused.
   */
  refuse(error: ProtocolError): void {
    this.#context.refuse(error);
  }

  /** Takes a control token for a plain-text frame with nothing to post. */
  skipPlain(): void {
    this.#context.withinControl();
  }

  /**
   * Answers one `chat.v1` request.
   *
   * @param request The validated request.
   */
  handle(request: ClientMessage): void {
    const context = this.#context;
    if (this.#waiting) {
      if (this.#waiting.length < MAX_WAITING_REQUESTS) {
        this.#waiting.push(request);
      } else {
        context.close(
          CloseCode.policyViolation,
          "Too many requests before sign-in",
        );
      }
      return;
    }
    const { credentials } = context;
    if (
      credentials.required && request.type !== "auth" &&
      request.type !== "ping"
    ) {
      context.refuse(
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
        // takes a token (in `signIn`), so guessing is rate-limited.
        this.#signIn(request);
        return;
      case "join":
        joinRoom(context, request);
        return;
      case "leave":
        if (!requireJoined(context, request.room, request.nonce)) return;
        if (!context.withinRate(request.nonce)) return;
        leave(context, request.room);
        return;
      case "send":
        if (!requireJoined(context, request.room, request.nonce)) return;
        if (!context.withinRate(request.nonce)) return;
        if (credentials.readOnly) {
          context.refuse(
            new ProtocolError(
              "read_only",
              "Cannot send message: guests may only read here; sign in to send",
              request.nonce,
            ),
          );
          return;
        }
        post(context, request.room, request.text, request.nonce);
        return;
      case "history":
        if (!requireJoined(context, request.room, request.nonce)) return;
        if (!context.withinRate(request.nonce)) return;
        sendHistory(context, request);
        return;
      case "edit":
      case "delete":
        if (!requireJoined(context, request.room, request.nonce)) return;
        if (!context.withinRate(request.nonce)) return;
        amendMessage(context, request);
        return;
      case "typing":
        if (!requireJoined(context, request.room, request.nonce)) return;
        if (!context.withinControl()) return;
        sendTyping(context, request.room);
        return;
      case "ban":
      case "unban":
      case "kick":
        if (!context.withinRate(request.nonce)) return;
        moderate(context, request);
        return;
      case "set_name":
        if (!context.withinRate(request.nonce)) return;
        rename(context, request.name, request.nonce);
        return;
      case "rooms":
        if (!context.withinRate(request.nonce)) return;
        sendDirectory(context, request.nonce);
        return;
      case "ping":
        if (!context.withinControl()) return;
        context.writer.reply(
          request.nonce === undefined
            ? { type: "pong" }
            : { type: "pong", nonce: request.nonce },
        );
        return;
    }
  }

  /** Leaves every room; called once when the connection ends. */
  end(): void {
    this.#context.rooms.end();
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
      this.#context.close(CloseCode.disconnected, "Disconnected by the server");
    } else this.#context.rooms.control(event);
  }

  /**
   * Takes the connection out of every room whose ban the control channel
   * may have missed: the store is asked for each.
   */
  recheckBans(): Promise<void> {
    return this.#context.rooms.recheck(this.identity.id);
  }

  /**
   * Verifies a sign-in while later requests wait, then lets them through in
   * order.
   */
  #signIn(request: Extract<ClientMessage, { type: "auth" }>): void {
    this.#waiting = [];
    signIn(
      this.#context,
      "token" in request
        ? { token: request.token }
        : { guestKey: request.guestKey },
      request.nonce,
    ).finally(() => {
      const waiting = this.#waiting ?? [];
      this.#waiting = undefined;
      if (this.#context.closed()) return;
      for (const request of waiting) this.handle(request);
    });
  }
}
