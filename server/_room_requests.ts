/**
 * A session's requests in a room it is in: the check that it may still use
 * the room, then `leave`, `send`, `history` and `typing`. For `session.ts`.
 *
 * @module
 */
import type { Draft } from "../chat/history.ts";
import { log } from "../observability/log.ts";
import {
  type ClientMessage,
  CloseCode,
  ProtocolError,
  type ServerEvent,
} from "./protocol.ts";
import type { SessionContext } from "./_session_context.ts";

/**
 * Whether the connection is in `room` and may still use it; answers the
 * refusal otherwise.
 *
 * @param context The connection's session.
 * @param room The room the request names.
 * @param nonce The request's nonce, which a refusal carries.
 * @returns Whether the request may go on.
 */
export function requireJoined(
  context: SessionContext,
  room: string,
  nonce?: string,
): boolean {
  const { rooms } = context;
  const banned = rooms.banned(room, nonce);
  if (banned) {
    context.refuse(banned);
    return false;
  }
  if (!rooms.has(room)) {
    context.refuse(
      new ProtocolError(
        "not_joined",
        `Cannot use room: join "${room}" first`,
        nonce,
      ),
    );
    return false;
  }
  if (context.mayUse(room)) return true;
  context.refuse(
    new ProtocolError(
      "forbidden",
      `Cannot use room: "${room}" is not open to this user`,
      nonce,
    ),
  );
  return false;
}

/**
 * Leaves `room` and answers with `left`.
 *
 * @param context The connection's session.
 * @param room A room the connection is in.
 */
export function leave(context: SessionContext, room: string): void {
  context.rooms.drop(room);
  context.writer.reply({ type: "left", room });
}

/**
 * Posts a message to `room`, answered with `ack` in JSON; a message that
 * cannot be stored is answered with `unavailable`, or in plain text closes
 * the connection (1013).
 *
 * @param context The connection's session.
 * @param room A room the connection may use.
 * @param text Validated message text.
 * @param nonce The request's nonce, which the answer carries.
 */
export function post(
  context: SessionContext,
  room: string,
  text: string,
  nonce?: string,
): void {
  const { chat, metrics, writer, connectionId: id } = context;
  const { id: userId, name: user, guest } = context.identity;
  const draft: Draft = { userId, user, text };
  if (guest) draft.guest = true;
  if (nonce !== undefined) draft.nonce = nonce;
  const started = performance.now();
  chat.post(room, draft).then(
    ({ message, duplicate }) => {
      metrics?.onPublished(performance.now() - started, true);
      if (writer.mode !== "json") return;
      const ack: ServerEvent = {
        type: "ack",
        id: message.id,
        room: message.room,
        ts: message.ts,
        duplicate,
      };
      if (nonce !== undefined) ack.nonce = nonce;
      writer.reply(ack);
    },
    (error) => {
      metrics?.onPublished(performance.now() - started, false);
      // As with joins: a send still being stored when its connection
      // ended (at shutdown, the store closes under it) is expected; the
      // client re-sends it with its nonce. The metric counts it either way.
      log(context.closed() ? "debug" : "error", "message.post_failed", {
        id,
        room,
        error,
      });
      if (writer.mode === "plain") {
        context.close(CloseCode.tryAgainLater, "Cannot store message now");
        return;
      }
      writer.error(
        new ProtocolError(
          "unavailable",
          "Cannot send message: the server cannot store it now; send it again later",
          nonce,
        ),
      );
    },
  );
}

/**
 * Answers a `history` request with a page of the room's messages.
 *
 * @param context The connection's session.
 * @param request The request, validated, for a room the connection may use.
 */
export function sendHistory(
  context: SessionContext,
  { room, before, since, limit, nonce }: Extract<
    ClientMessage,
    { type: "history" }
  >,
): void {
  const { chat, config, writer } = context;
  chat.history(room, before, limit ?? config.historyLimit, since).then(
    (page) =>
      writer.reply({
        type: "history",
        room,
        messages: page.messages,
        hasMore: page.hasMore,
        epoch: page.epoch,
      }),
    (error) => {
      // A read cut short by the connection's end (shutdown) is no fault.
      log(context.closed() ? "debug" : "error", "room.history_failed", {
        id: context.connectionId,
        room,
        error,
      });
      writer.error(
        new ProtocolError("unavailable", "Cannot read history now", nonce),
      );
    },
  );
}

/**
 * Tells the room's other members that this user is typing, at most once
 * per interval.
 *
 * @param context The connection's session.
 * @param room A room the connection may use.
 */
export function sendTyping(context: SessionContext, room: string): void {
  const { chat, typing, connectionId: id } = context;
  if (!typing.allow(context.identity.id, room)) return;
  chat.typing({ type: "typing", room, user: context.member }, id).catch(
    (error) => log("warn", "room.typing_failed", { id, room, error }),
  );
}
