/**
 * The room directory: rooms where someone is present, on any instance, each
 * with how many users are in it and when its log last changed, busiest
 * first. Clients browse the public ones (`RoomDirectory`); the host
 * application lists every room through the server API (`listRooms`).
 *
 * @module
 */
import type { History } from "./history.ts";
import type { Presence } from "./presence.ts";
import { roomKind } from "./rooms.ts";

/** A room as the directory lists it. */
export interface RoomInfo {
  /** The room's name. */
  name: string;
  /** How many users are present (a user with several connections counts once). */
  memberCount: number;
  /**
   * When the room's latest kept log entry (a message, an edit or a
   * deletion) was stored, in milliseconds since the Unix epoch; `null` when
   * the room keeps none.
   */
  lastActivity: number | null;
}

/** Where the directory reads rooms: who is where, and each room's log. */
export interface DirectoryStores {
  presence: Pick<Presence, "rooms" | "count">;
  history: Pick<History, "resume">;
}

/** Options for {@linkcode listRooms}. */
export interface ListRoomsOptions {
  /** Most rooms to list. */
  limit: number;
  /**
   * Which rooms may be listed; those it refuses do not count against the
   * limit.
   *
   * @default {"every room"}
   */
  accept?: (room: string) => boolean;
}

/**
 * Up to `limit` rooms where a user is present on any instance, with their
 * member counts and last activity, sorted by member count (most first),
 * then by name. When more rooms are active, which ones are listed is the
 * presence store's choice.
 *
 * @param stores The presence and the history to read.
 * @param options How many rooms, and which.
 * @returns The rooms.
 * @throws When a store cannot be read.
 *
 * @example Busiest first
 * ```ts
 * import assert from "node:assert/strict";
 * import { listRooms } from "./directory.ts";
 * import { MemoryPresence } from "./presence.ts";
 *
 * await using presence = new MemoryPresence();
 * await presence.join("dev", { id: "ada", name: "Ada" });
 * await presence.join("general", { id: "ada", name: "Ada" });
 * await presence.join("general", { id: "bo", name: "Bo" });
 * // A log whose latest entry in every room was stored at 1764000000000.
 * const history = {
 *   resume: (room: string) =>
 *     Promise.resolve({
 *       messages: [{ type: "message" as const, id: 1, room, ts: 1764000000000, user: "Ada", text: "hi" }],
 *       hasMore: false,
 *       truncated: false,
 *       epoch: "e1",
 *     }),
 * };
 * assert.deepEqual(await listRooms({ presence, history }, { limit: 10 }), [
 *   { name: "general", memberCount: 2, lastActivity: 1764000000000 },
 *   { name: "dev", memberCount: 1, lastActivity: 1764000000000 },
 * ]);
 * ```
 */
export async function listRooms(
  stores: DirectoryStores,
  options: ListRoomsOptions,
): Promise<RoomInfo[]> {
  const { presence, history } = stores;
  const names = await presence.rooms(options.limit, options.accept);
  const rooms = await Promise.all(names.map(async (name) => {
    const [memberCount, latest] = await Promise.all([
      presence.count(name),
      history.resume(name, 0, 1),
    ]);
    return {
      name,
      memberCount,
      lastActivity: latest.messages.at(-1)?.ts ?? null,
    };
  }));
  return rooms.sort((a, b) =>
    b.memberCount - a.memberCount || (a.name < b.name ? -1 : 1)
  );
}

/**
 * Whether the directory lists `room` to clients: public rooms only, never
 * a private (`private-…`) or a direct (`dm:…`) one.
 *
 * @param room A room name.
 * @returns Whether clients see it listed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isListed } from "./directory.ts";
 *
 * assert.equal(isListed("general"), true);
 * assert.equal(isListed("private-team"), false);
 * assert.equal(isListed("dm:ada:bo"), false);
 * ```
 */
export function isListed(room: string): boolean {
  return roomKind(room) === "public";
}

/** Options for {@linkcode RoomDirectory}. */
export interface RoomDirectoryOptions {
  /**
   * Most rooms listed (`CHAT_DIRECTORY_LIMIT`).
   *
   * @default {100}
   */
  limit?: number;
}

/**
 * The public rooms clients may browse, as {@linkcode listRooms} reads them.
 * A listing costs the stores a few reads per room, and any client may ask,
 * so requests that arrive while one is under way share its answer rather
 * than start another: however many ask at once, the stores serve one
 * listing at a time per instance.
 *
 * @example Two requests, one listing
 * ```ts
 * import assert from "node:assert/strict";
 * import { RoomDirectory } from "./directory.ts";
 * import { MemoryPresence } from "./presence.ts";
 *
 * await using presence = new MemoryPresence();
 * // A log that keeps nothing.
 * const history = {
 *   resume: () =>
 *     Promise.resolve({ messages: [], hasMore: false, truncated: false, epoch: "e1" }),
 * };
 * await presence.join("general", { id: "ada", name: "Ada" });
 * await presence.join("private-team", { id: "ada", name: "Ada" });
 * const directory = new RoomDirectory({ presence, history });
 * const [first, second] = await Promise.all([directory.list(), directory.list()]);
 * assert.deepEqual(first, [{ name: "general", memberCount: 1, lastActivity: null }]);
 * assert.equal(first, second);
 * ```
 */
export class RoomDirectory {
  #stores: DirectoryStores;
  #limit: number;
  #listing: Promise<RoomInfo[]> | undefined;

  /**
   * A directory over the stores.
   *
   * @param stores The presence and the history to read.
   * @param options How many rooms to list at most.
   */
  constructor(stores: DirectoryStores, options: RoomDirectoryOptions = {}) {
    this.#stores = stores;
    this.#limit = options.limit ?? 100;
  }

  /**
   * Up to the limit of public rooms where someone is present, busiest
   * first; see {@linkcode listRooms}.
   *
   * @returns The rooms: the listing under way when one is.
   * @throws When a store cannot be read.
   */
  list(): Promise<RoomInfo[]> {
    this.#listing ??= listRooms(this.#stores, {
      limit: this.#limit,
      accept: isListed,
    }).finally(() => {
      this.#listing = undefined;
    });
    return this.#listing;
  }
}
