/**
 * Who may use which room. A private room (`private-…`) is open to the
 * verified users whose token lists it (or a prefix of it ending in `*`); a
 * direct-message room (`dm:` and two user ids) to those two verified users;
 * every other room to everyone. `chat/rooms.ts` says what a name is.
 *
 * @module
 */
import { directRoomUsers, roomKind } from "../chat/rooms.ts";

/** Who is asking, as far as room access goes. */
export interface RoomUser {
  /** The user's id. */
  id: string;
  /** Whether the user is a guest, not verified by a token. */
  guest: boolean;
  /** Private rooms the token lists: exact names, or prefixes ending in `*`. */
  rooms: readonly string[];
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
