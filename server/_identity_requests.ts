/**
 * A session's requests that change who the connection is: `auth` (a sign-in
 * or a token refresh) and a guest's `set_name`, and what follows them in
 * the connection's rooms. For `session.ts`.
 *
 * @module
 */
import { log } from "../observability/log.ts";
import type { Credential } from "./credentials.ts";
import { CloseCode, ProtocolError, type ServerEvent } from "./protocol.ts";
import { nameFree, nameTaken } from "./room_join.ts";
import type { SessionContext } from "./_session_context.ts";

/**
 * Verifies a sign-in and answers it. A connection with nobody to fall back
 * on (guests are not allowed) is closed when its sign-in fails.
 *
 * @param context The connection's session.
 * @param credential The token or guest key to sign in with.
 * @param nonce The request's nonce, which the answer carries.
 * @returns Settles once the sign-in is answered.
 */
export function signIn(
  context: SessionContext,
  credential: Credential,
  nonce?: string,
): Promise<void> {
  const { credentials, writer } = context;
  return credentials.signIn(credential, context.rooms.size > 0).then(
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
      writer.reply(reply);
      afterSignIn(context);
    },
    (error) => {
      if (!(error instanceof ProtocolError)) {
        log("error", "connection.sign_in_failed", {
          id: context.connectionId,
          error,
        });
        error = new ProtocolError(
          "unavailable",
          "Cannot sign in now: try again later",
        );
      }
      writer.error(new ProtocolError(error.code, error.message, nonce));
      if (!context.withinRate(nonce)) return;
      if (error.code === "too_many_connections") {
        context.close(
          CloseCode.tooManyUserConnections,
          "Too many connections for this user",
        );
      } else if (credentials.required && error.code !== "unavailable") {
        context.close(CloseCode.unauthorized, "Invalid token");
      }
    },
  );
}

/**
 * Answers a guest's `set_name`: refused for a signed-in user, whose name
 * comes from their token, and for a name a verified user present goes by.
 *
 * @param context The connection's session.
 * @param name The new name, validated.
 * @param nonce The request's nonce, which the answer carries.
 */
export function rename(
  context: SessionContext,
  name: string,
  nonce?: string,
): void {
  const { credentials, writer } = context;
  if (!context.identity.guest) {
    context.refuse(
      new ProtocolError(
        "bad_request",
        "Cannot set name: a signed-in user's name comes from their token",
        nonce,
      ),
    );
    return;
  }
  nameFree(context, context.rooms.entries().map(([room]) => room), name)
    .then(
      (free) => {
        if (context.closed()) return;
        if (!free) {
          context.refuse(nameTaken(nonce));
          return;
        }
        const previous = context.identity.name;
        credentials.rename(name);
        writer.reply(
          nonce === undefined
            ? { type: "renamed", user: name }
            : { type: "renamed", user: name, nonce },
        );
        if (previous !== name) afterSignIn(context);
      },
      (error) => {
        log("error", "room.rename_failed", { id: context.connectionId, error });
        writer.error(
          new ProtocolError("unavailable", "Cannot set name now", nonce),
        );
      },
    );
}

/**
 * After a sign-in or a token refresh: each room is told the user's name
 * if it changed, and rooms the new token no longer opens are left.
 */
function afterSignIn(context: SessionContext): void {
  const { credentials, chat, rooms, writer, connectionId: id } = context;
  const member = context.member;
  const renamed: string[] = [];
  for (const [room, feed] of rooms.entries()) {
    if (!credentials.mayUse(room)) {
      rooms.drop(room);
      writer.reply({ type: "left", room, reason: "forbidden" });
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
