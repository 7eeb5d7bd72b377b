/**
 * A moderator's `ban`, `unban` and `kick` requests over the socket: who may
 * (moderators and admins in a room, admins for every room), then the action
 * through the {@linkcode Moderator}, answered with `moderated`.
 *
 * @module
 */
import { log } from "../observability/log.ts";
import { isModerator, type RequestContext } from "./message_actions.ts";
import { type ClientMessage, ProtocolError } from "./protocol.ts";

/** A `ban`, `unban` or `kick` request. */
export type ModerationRequest = Extract<
  ClientMessage,
  { type: "ban" | "unban" | "kick" }
>;

/**
 * Answers a moderation request.
 *
 * @param context What the connection acts with.
 * @param request The request, validated.
 */
export async function moderate(
  context: RequestContext,
  request: ModerationRequest,
): Promise<void> {
  const { identity, moderator, writer } = context;
  const { type, room, userId, nonce } = request;
  if (!isModerator(identity) || (room === null && identity.role !== "admin")) {
    context.refuse(
      new ProtocolError(
        "forbidden",
        room === null
          ? `Cannot ${type} in every room: only an admin may`
          : `Cannot ${type} in "${room}": only a moderator or an admin may`,
        nonce,
      ),
    );
    return;
  }
  if (userId === identity.id) {
    context.refuse(
      new ProtocolError("bad_request", `Cannot ${type} yourself`, nonce),
    );
    return;
  }
  const by = { id: identity.id, name: identity.name };
  const withNonce = nonce === undefined ? {} : { nonce };
  try {
    switch (request.type) {
      case "ban": {
        const { ban } = await moderator.ban(by, {
          userId,
          room: request.room,
          ...(request.duration === undefined
            ? {}
            : { durationMs: request.duration * 1000 }),
          ...(request.reason === undefined ? {} : { reason: request.reason }),
        });
        writer.reply({
          type: "moderated",
          action: "ban",
          room: request.room,
          userId,
          until: ban.until,
          ...withNonce,
        });
        return;
      }
      case "unban": {
        const lifted = await moderator.unban(by, userId, request.room);
        if (lifted === undefined) {
          context.refuse(
            new ProtocolError(
              "not_found",
              `Cannot unban "${userId}": no ban of them is in force there`,
              nonce,
            ),
          );
          return;
        }
        writer.reply({
          type: "moderated",
          action: "unban",
          room: request.room,
          userId,
          ...withNonce,
        });
        return;
      }
      case "kick":
        await moderator.kick(by, {
          userId,
          room: request.room,
          ...(request.reason === undefined ? {} : { reason: request.reason }),
        });
        writer.reply({
          type: "moderated",
          action: "kick",
          room: request.room,
          userId,
          ...withNonce,
        });
        return;
    }
  } catch (error) {
    log("error", "moderation.failed", { id: context.connectionId, error });
    writer.error(
      new ProtocolError(
        "unavailable",
        `Cannot ${type} now: the server cannot store it; try again later`,
        nonce,
      ),
    );
  }
}
