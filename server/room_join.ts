/**
 * A connection's `join` of a room: the checks that may refuse it (already
 * in it, too many rooms, a room not open to the user, a ban, a guest's name
 * a verified user present goes by), then the join through the chat and the
 * `joined` answer, with the room's feed started.
 *
 * @module
 */
import type { Member } from "../chat/events.ts";
import { log } from "../observability/log.ts";
import type { Config } from "./config.ts";
import { bannedError, type Memberships } from "./memberships.ts";
import type { RequestContext } from "./message_actions.ts";
import { type ClientMessage, ProtocolError } from "./protocol.ts";
import type { RoomFeed } from "./room_feed.ts";

/** What a join acts with, as the connection's session gives it. */
export interface JoinContext extends RequestContext {
  /** The connection's rooms. */
  readonly rooms: Memberships;
  /** Who the connection is present as. */
  readonly member: Member;
  /** Server settings (room and history limits). */
  readonly config: Config;
  /** Whether the identity may use `room`. */
  mayUse(room: string): boolean;
  /** Whether the connection has ended. */
  closed(): boolean;
}

/**
 * Whether a guest's name is free in each of `rooms`: a guest may not go by
 * the name of a verified user who is present there.
 *
 * @param context Who the connection is, and where members are read.
 * @param rooms The rooms.
 * @param name The name; the identity's when absent.
 * @returns Whether it is free in all of them.
 */
/**
 * Answers a `join`: refused when the connection is in the room already, in
 * the most rooms, may not use it, is banned from it, or is a guest going by
 * the name of a verified user present there; otherwise joined.
 *
 * @param context What the connection joins with.
 * @param request The request, validated.
 */
export function joinRoom(
  context: JoinContext,
  { room, since, epoch, nonce }: Extract<ClientMessage, { type: "join" }>,
): void {
  const { config, rooms } = context;
  if (rooms.has(room)) {
    context.refuse(
      new ProtocolError(
        "already_joined",
        `Cannot join room: already in "${room}"`,
        nonce,
      ),
    );
    return;
  }
  if (rooms.size >= config.maxRooms) {
    context.refuse(
      new ProtocolError(
        "too_many_rooms",
        `Cannot join room: already in ${config.maxRooms} rooms`,
        nonce,
      ),
    );
    return;
  }
  if (!context.mayUse(room)) {
    context.refuse(
      new ProtocolError(
        "forbidden",
        `Cannot join room: "${room}" is not open to this user`,
        nonce,
      ),
    );
    return;
  }
  const feed = rooms.add(room, context.member);
  Promise.all([
    nameFree(context, [room]),
    context.moderator.banOf(context.identity.id, room),
  ]).then(([free, ban]) => {
    if (feed.ended) return;
    if (free && ban === undefined) {
      enter(context, room, feed, { since, epoch, nonce });
      return;
    }
    rooms.abandon(room, feed);
    context.refuse(
      ban === undefined
        ? nameTaken(nonce)
        : bannedError(room, ban.until, nonce),
    );
  }, (error) => joinFailed(context, room, feed, error, nonce));
}

/** Joins `room` as `feed`'s member and answers with `joined`. */
function enter(
  context: JoinContext,
  room: string,
  feed: RoomFeed,
  { since, epoch, nonce }: { since?: number; epoch?: string; nonce?: string },
): void {
  const { chat, config, connectionId: id } = context;
  chat.join(room, feed.member, {
    ...feed.subscribeOptions(),
    since,
    epoch,
    historyLimit: config.historyLimit,
    memberLimit: config.largeRoom,
    origin: id,
  }).then(
    (joined) => {
      feed.ready = true;
      if (feed.ended) {
        chat.leave(room, feed.member).catch(() => {});
        return;
      }
      context.writer.reply({
        type: "joined",
        room,
        members: joined.members,
        memberCount: joined.memberCount,
        messages: joined.history.messages,
        truncated: joined.history.truncated,
        hasMore: joined.history.hasMore,
        epoch: joined.history.epoch,
      });
      feed.start(joined);
    },
    (error) => joinFailed(context, room, feed, error, nonce),
  );
}

function joinFailed(
  context: JoinContext,
  room: string,
  feed: RoomFeed,
  error: unknown,
  nonce?: string,
): void {
  // A join still running when the connection ended (as every one does at
  // shutdown, which then closes the store under it) fails harmlessly.
  log(context.closed() ? "debug" : "error", "room.join_failed", {
    id: context.connectionId,
    room,
    error,
  });
  context.rooms.abandon(room, feed);
  context.writer.error(
    new ProtocolError(
      "unavailable",
      "Cannot join room: the server cannot read its history now",
      nonce,
    ),
  );
}

export async function nameFree(
  context: Pick<JoinContext, "identity" | "chat" | "config">,
  rooms: readonly string[],
  name: string = context.identity.name,
): Promise<boolean> {
  const { identity } = context;
  if (!identity.guest) return true;
  const folded = foldName(name);
  for (const room of rooms) {
    const members = await context.chat.members(
      room,
      context.config.largeRoom,
    );
    if (
      members.some((member) =>
        !member.guest && member.id !== identity.id &&
        foldName(member.name) === folded
      )
    ) return false;
  }
  return true;
}

/**
 * The refusal of a guest's name that a verified user present goes by.
 *
 * @param nonce The request's nonce.
 * @returns The `name_taken` error.
 */
export function nameTaken(nonce?: string): ProtocolError {
  return new ProtocolError(
    "name_taken",
    "Cannot use name: a signed-in user here goes by it; pick another",
    nonce,
  );
}

/** A name as compared for `name_taken`: case and canonical form aside. */
function foldName(name: string): string {
  return name.normalize("NFKC").toLowerCase();
}
