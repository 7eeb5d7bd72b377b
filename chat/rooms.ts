/**
 * What a room's name says. Public and private room names are 1 to 64 ASCII
 * letters, digits, `-` and `_`, folded to lower case; a name that starts with
 * `private-` is a private room. `dm:` followed by two user ids is the
 * direct-message room of those two users; its name keeps its case.
 *
 * @module
 */

/** Room names as clients may write them: 1 to 64 ASCII letters, digits, `-` and `_`. */
export const ROOM_NAME_PATTERN: RegExp = /^[A-Za-z0-9_-]{1,64}$/;
/** Prefix of a private room's name. */
export const PRIVATE_ROOM_PREFIX = "private-";
/** Prefix of a direct-message room's name. */
export const DIRECT_ROOM_PREFIX = "dm:";
/** Longest user id, in UTF-16 code units. */
export const MAX_USER_ID_LENGTH = 128;

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
 * import { roomKind } from "./rooms.ts";
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
 * @throws {RangeError} When both ids are the same, or one is empty or too long.
 *
 * @example Order does not matter
 * ```ts
 * import assert from "node:assert/strict";
 * import { directRoom } from "./rooms.ts";
 *
 * assert.equal(directRoom("bo", "auth0|ada"), "dm:auth0%7Cada:bo");
 * assert.equal(directRoom("auth0|ada", "bo"), "dm:auth0%7Cada:bo");
 * ```
 */
export function directRoom(userId: string, otherId: string): string {
  for (const id of [userId, otherId]) {
    if (id.length < 1 || id.length > MAX_USER_ID_LENGTH) {
      throw new RangeError(
        `Cannot name direct room: a user id is 1 to ${MAX_USER_ID_LENGTH} characters`,
      );
    }
  }
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
  let ids: [string, string];
  try {
    ids = [decodeURIComponent(parts[0]!), decodeURIComponent(parts[1]!)];
  } catch {
    return null;
  }
  try {
    return directRoom(...ids) === room ? ids : null;
  } catch {
    return null;
  }
}

/**
 * Whether `room` is a room name as the server uses it: a public or private
 * name folded to lower case, or a direct room in its canonical form.
 *
 * @param room Anything.
 * @returns Whether it names a room.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRoomName } from "./rooms.ts";
 *
 * assert.equal(isRoomName("dev-team"), true);
 * assert.equal(isRoomName("Dev"), false);
 * assert.equal(isRoomName("no spaces"), false);
 * assert.equal(isRoomName("dm:Ada:bo"), true);
 * assert.equal(isRoomName("dm:bo:Ada"), false);
 * ```
 */
export function isRoomName(room: unknown): room is string {
  if (typeof room !== "string") return false;
  if (room.startsWith(DIRECT_ROOM_PREFIX)) {
    return directRoomUsers(room) !== null;
  }
  return ROOM_NAME_PATTERN.test(room) && room === room.toLowerCase();
}
