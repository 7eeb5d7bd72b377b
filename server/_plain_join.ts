/**
 * A plain-text connection's one room: its join of the default room, made
 * before the socket opens, with only the events a plain-text client sees,
 * and its start once the socket is open. For `session.ts` and
 * `connection.ts`.
 *
 * @module
 */
import type { Joined } from "../chat/join.ts";
import type { Broadcast } from "../chat/events.ts";
import { log } from "../observability/log.ts";
import type { Closable } from "./connection_context.ts";
import { CloseCode, DEFAULT_ROOM } from "./protocol.ts";
import type { RoomFeed } from "./room_feed.ts";
import type { SessionContext } from "./_session_context.ts";

/** A plain-text connection's join of the default room, and the feed to start once its socket opens. */
export interface PlainJoin {
  joined: Promise<Joined>;
  feed: RoomFeed;
  /** Whether the user is banned from the room, which closes the connection (4403). */
  banned: Promise<boolean>;
}

/** Whether a plain-text client sees `broadcast` (it sees chat text only, no presence). */
function hasPlainText(broadcast: Broadcast): boolean {
  return broadcast.plain !== null;
}

/**
 * Joins the default room for a plain-text connection, before its socket
 * opens, so nothing published meanwhile is lost.
 *
 * @param context The connection's session.
 * @returns The join, and the feed to start with it once the socket is open.
 */
export function joinPlain(context: SessionContext): PlainJoin {
  const { chat } = context;
  const feed = context.rooms.add(DEFAULT_ROOM, context.member);
  const joined = chat.join(DEFAULT_ROOM, feed.member, {
    ...feed.subscribeOptions(),
    since: false,
    origin: context.connectionId,
    members: false,
    accept: hasPlainText,
  });
  joined.then(() => {
    feed.ready = true;
    if (feed.ended) chat.leave(DEFAULT_ROOM, feed.member).catch(() => {});
  }, () => {});
  const banned = context.moderator.banOf(context.identity.id, DEFAULT_ROOM)
    .then((ban) => ban !== undefined);
  return { joined, feed, banned };
}

/**
 * Starts feeding a plain-text connection the room once its socket is open
 * and the join is done, or closes it: banned from the room (4403), or the
 * join failed (1013).
 *
 * @param join The connection's join, from {@linkcode joinPlain}.
 * @param connection The connection, and its id for the log.
 */
export function startPlainJoin(
  join: PlainJoin,
  connection: Closable & { readonly id: string },
): void {
  const { joined, feed, banned } = join;
  Promise.all([joined, banned]).then(
    ([joined, banned]) => {
      if (!banned) feed.start(joined);
      else connection.close(CloseCode.banned, "Banned from the room");
    },
    (error) => {
      log("error", "connection.join_failed", { id: connection.id, error });
      connection.close(CloseCode.tryAgainLater, "Cannot join the room now");
    },
  );
}
