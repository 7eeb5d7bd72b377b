/**
 * Who may use which room. Room names say what a room is: a name that starts
 * with `private-` is a private room, open to the verified users whose token
 * lists it (or a prefix of it ending in `*`); `dm:` followed by two user ids
 * is the direct-message room of those two verified users; every other room
 * is public.
 *
 * @module
 */

/** Prefix of a private room's name. */
export const PRIVATE_ROOM_PREFIX = "private-";
/** Prefix of a direct-message room's name. */
export const DIRECT_ROOM_PREFIX = "dm:";

/** Who is asking, as far as room access goes. */
export interface RoomUser {
  /** The user's id. */
  id: string;
  /** Whether the user is a guest, not verified by a token. */
  guest: boolean;
  /** Private rooms the token lists: exact names, or prefixes ending in `*`. */
  rooms: readonly string[];
}

/** What kind of room a name is. */
export type RoomKind = "public" | "private" | "direct";

/**
 * The kind of room `room` names.
 *
 * @param room A room name.
 * @returns `private`, `direct` or `public`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { roomKind } from "./access.ts";
 *
 * assert.equal(roomKind("general"), "public");
 * assert.equal(roomKind("private-team"), "private");
 * assert.equal(roomKind("dm:ada:bo"), "direct");
 * ```
 */
export function roomKind(room: string): RoomKind {
  if (room.startsWith(PRIVATE_ROOM_PREFIX)) return "private";
  if (room.startsWith(DIRECT_ROOM_PREFIX)) return "direct";
  return "public";
}

/**
 * The name of the direct-message room of two users: `dm:` and both ids,
 * percent-encoded (as `encodeURIComponent` does) and in code-unit order, so
 * either user computes the same name.
 *
 * @param userId One user's id.
 * @param otherId The other user's id.
 * @returns The room's name.
 * @throws {RangeError} When both ids are the same.
 *
 * @example Order does not matter
 * ```ts
 * import assert from "node:assert/strict";
 * import { directRoom } from "./access.ts";
 *
 * assert.equal(directRoom("bo", "auth0|ada"), "dm:auth0%7Cada:bo");
 * assert.equal(directRoom("auth0|ada", "bo"), "dm:auth0%7Cada:bo");
 * ```
 */
export function directRoom(userId: string, otherId: string): string {
  if (userId === otherId) {
    throw new RangeError(
      "Cannot name direct room: a user cannot message themselves",
    );
  }
  const [first, second] = [userId, otherId].map(encodeURIComponent).sort();
  return `${DIRECT_ROOM_PREFIX}${first}:${second}`;
}

/**
 * The two user ids of a direct-message room, when `room` is one in its
 * canonical form (as {@linkcode directRoom} makes it).
 *
 * @param room A room name.
 * @returns Both ids, or `null` when `room` is not a well-formed direct room.
 */
export function directRoomUsers(room: string): [string, string] | null {
  if (!room.startsWith(DIRECT_ROOM_PREFIX)) return null;
  const parts = room.slice(DIRECT_ROOM_PREFIX.length).split(":");
  if (parts.length !== 2) return null;
  let ids: string[];
  try {
    ids = parts.map(decodeURIComponent);
  } catch {
    return null;
  }
  const [first, second] = ids as [string, string];
  if (first === "" || second === "" || first === second) return null;
  return directRoom(first, second) === room ? [first, second] : null;
}

/**
 * Whether `user` may use `room` at all: join it, read its history and
 * presence, and send to it (sending is further refused to read-only guests).
 *
 * @param user Who asks.
 * @param room The room's name.
 * @returns Whether access is allowed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mayAccess } from "./access.ts";
 *
 * const ada = { id: "ada", guest: false, rooms: ["private-eng-*"] };
 * assert(mayAccess(ada, "general"));
 * assert(mayAccess(ada, "private-eng-ops"));
 * assert(!mayAccess(ada, "private-sales"));
 * assert(mayAccess(ada, "dm:ada:bo"));
 * assert(!mayAccess(ada, "dm:bo:cy"));
 * ```
 */
export function mayAccess(user: RoomUser, room: string): boolean {
  switch (roomKind(room)) {
    case "public":
      return true;
    case "private":
      return !user.guest &&
        user.rooms.some((pattern) =>
          pattern.endsWith("*")
            ? room.startsWith(pattern.slice(0, -1))
            : pattern === room
        );
    case "direct":
      return !user.guest &&
        (directRoomUsers(room)?.includes(user.id) ?? false);
  }
}
