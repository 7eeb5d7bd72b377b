/**
 * A connection's `edit` and `delete` requests: who may change which message
 * (its author, within the edit window; a moderator or an admin may delete
 * any), then the change through the chat, answered with `ack`. A change of
 * someone else's message is recorded as a moderation action.
 *
 * @module
 */
import { AmendmentRefusedError } from "../chat/amendments.ts";
import type { Chat } from "../chat/chat.ts";
import type { ChatMessage } from "../chat/events.ts";
import type { Moderator } from "../chat/moderator.ts";
import { log } from "../observability/log.ts";
import type { Identity } from "./identity.ts";
import { type ClientMessage, ProtocolError } from "./protocol.ts";
import type { SocketWriter } from "./socket_writer.ts";

/** What a connection's requests act with, as its session gives it. */
export interface RequestContext {
  /** The connection's id, for logs. */
  readonly connectionId: string;
  /** Who the connection is now. */
  readonly identity: Identity;
  /** Replies to the connection. */
  readonly writer: SocketWriter;
  /** Answers a refused request, within the connection's budget. */
  refuse(error: ProtocolError): void;
  /** Where entries are stored and rooms joined. */
  readonly chat: Chat;
  /** Takes moderation actions. */
  readonly moderator: Moderator;
  /** Seconds after sending during which an author may edit or delete a message; 0 for always. */
  readonly editWindow: number;
  /** The current time in milliseconds since the Unix epoch. */
  now(): number;
}

/** An `edit` or a `delete` request. */
export type AmendRequest = Extract<ClientMessage, { type: "edit" | "delete" }>;

/**
 * Whether the identity may act for moderation: a signed-in moderator or admin.
 *
 * @param identity Who the connection is.
 * @returns Whether it may delete others' messages, ban and kick.
 */
export function isModerator(identity: Identity): boolean {
  return !identity.guest && identity.role !== "member";
}

/**
 * Why `identity` may not make this change, or `undefined` when it may.
 *
 * @param context The connection's identity, edit window and clock.
 * @param request The edit or deletion asked for.
 * @param message The message's current state.
 * @returns The refusal to send, if any.
 */
export function refusal(
  context: Pick<RequestContext, "identity" | "editWindow" | "now">,
  request: AmendRequest,
  message: ChatMessage,
): ProtocolError | undefined {
  const { identity, editWindow } = context;
  const verb = request.type === "edit" ? "edit" : "delete";
  const own = message.userId !== undefined && message.userId === identity.id;
  if (request.type === "delete" && !own && isModerator(identity)) {
    return undefined;
  }
  if (!own) {
    return new ProtocolError(
      "forbidden",
      request.type === "edit"
        ? "Cannot edit message: only its author may"
        : "Cannot delete message: only its author, a moderator or an admin may",
      request.nonce,
    );
  }
  const age = context.now() - message.ts;
  if (editWindow > 0 && age > editWindow * 1000 && !isModerator(identity)) {
    return new ProtocolError(
      "edit_window_closed",
      `Cannot ${verb} message: it is older than ${editWindow} seconds`,
      request.nonce,
    );
  }
  return undefined;
}

/**
 * Answers an `edit` or a `delete` of a joined room's message.
 *
 * @param context What the connection acts with.
 * @param request The request, validated.
 */
export async function amendMessage(
  context: RequestContext,
  request: AmendRequest,
): Promise<void> {
  const { chat, identity, writer } = context;
  const { room, id, nonce } = request;
  try {
    const message = await chat.message(room, id);
    if (message === undefined) {
      context.refuse(notFound(request));
      return;
    }
    const refused = refusal(context, request, message);
    if (refused) {
      context.refuse(refused);
      return;
    }
    const { entry, duplicate } = await chat.amend(room, {
      ...(request.type === "edit"
        ? { type: "edit", target: id, text: request.text }
        : { type: "delete", target: id }),
      userId: identity.id,
      user: identity.name,
      ...(identity.guest ? { guest: true } : {}),
      ...(nonce === undefined ? {} : { nonce }),
    });
    writer.reply({
      type: "ack",
      id: entry.id,
      room,
      ts: entry.ts,
      duplicate,
      ...(nonce === undefined ? {} : { nonce }),
    });
    if (!duplicate && message.userId !== identity.id) {
      context.moderator.recordChange({
        action: request.type,
        by: { id: identity.id, name: identity.name },
        userId: message.userId ?? message.user,
        room,
        messageId: id,
      }).catch((error) =>
        log("error", "moderation.record_failed", { room, id, error })
      );
    }
  } catch (error) {
    if (error instanceof AmendmentRefusedError) {
      context.refuse(
        error.reason === "too_many_edits"
          ? new ProtocolError("too_many_edits", error.message, nonce)
          : notFound(request),
      );
      return;
    }
    log("error", "message.amend_failed", {
      id: context.connectionId,
      room,
      error,
    });
    writer.error(
      new ProtocolError(
        "unavailable",
        `Cannot ${request.type} message: the server cannot store it now; send it again later`,
        nonce,
      ),
    );
  }
}

function notFound(request: AmendRequest): ProtocolError {
  return new ProtocolError(
    "not_found",
    `Cannot ${request.type} message: ${request.id} is not in "${request.room}", or is deleted`,
    request.nonce,
  );
}
