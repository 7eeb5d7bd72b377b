/**
 * Who is in each room. A display name is present while at least one of its
 * connections is in the room, so a user with two tabs appears once.
 *
 * @module
 */

/** Presence bookkeeping; implemented in memory here and over Redis elsewhere. */
export interface Presence extends AsyncDisposable {
  /** Adds one connection of `user` to `room`; resolves `true` when the user was not present before. */
  join(room: string, user: string): Promise<boolean>;
  /** Removes one connection of `user` from `room`; resolves `true` when that was the user's last. */
  leave(room: string, user: string): Promise<boolean>;
  /** Names present in `room`, sorted. */
  members(room: string): Promise<string[]>;
  /** Releases resources; idempotent. */
  close(): Promise<void>;
}

/**
 * {@linkcode Presence} for one process: a connection count per name per room.
 *
 * @example Two tabs, one member
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryPresence } from "./presence.ts";
 *
 * await using presence = new MemoryPresence();
 * assert.equal(await presence.join("general", "ada"), true);
 * assert.equal(await presence.join("general", "ada"), false);
 * assert.deepEqual(await presence.members("general"), ["ada"]);
 * assert.equal(await presence.leave("general", "ada"), false);
 * assert.equal(await presence.leave("general", "ada"), true);
 * assert.deepEqual(await presence.members("general"), []);
 * ```
 */
export class MemoryPresence implements Presence {
  #rooms = new Map<string, RoomPresence>();

  /** Counts one more connection of `user` in `room`. */
  join(room: string, user: string): Promise<boolean> {
    let presence = this.#rooms.get(room);
    if (!presence) {
      this.#rooms.set(room, presence = { counts: new Map(), sorted: [] });
    }
    const count = presence.counts.get(user) ?? 0;
    presence.counts.set(user, count + 1);
    if (count === 0) {
      presence.sorted.splice(insertionPoint(presence.sorted, user), 0, user);
    }
    return Promise.resolve(count === 0);
  }

  /** Counts one connection fewer; forgets empty names and rooms. */
  leave(room: string, user: string): Promise<boolean> {
    const presence = this.#rooms.get(room);
    const count = presence?.counts.get(user) ?? 0;
    if (!presence || count === 0) return Promise.resolve(false);
    if (count > 1) {
      presence.counts.set(user, count - 1);
      return Promise.resolve(false);
    }
    presence.counts.delete(user);
    presence.sorted.splice(insertionPoint(presence.sorted, user), 1);
    if (presence.counts.size === 0) this.#rooms.delete(room);
    return Promise.resolve(true);
  }

  /** Names present in `room`, sorted. */
  members(room: string): Promise<string[]> {
    return Promise.resolve(this.#rooms.get(room)?.sorted.slice() ?? []);
  }

  /** Forgets everyone. */
  close(): Promise<void> {
    this.#rooms.clear();
    return Promise.resolve();
  }

  /** Same as {@linkcode MemoryPresence.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * One room's members: connections per name, and the names kept sorted as
 * they come and go, so that reading the list (every join) is a copy rather
 * than a sort of the whole room.
 */
interface RoomPresence {
  counts: Map<string, number>;
  sorted: string[];
}

/** Index of the first name in `sorted` not below `name` (binary search). */
function insertionPoint(sorted: readonly string[], name: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < name) low = middle + 1;
    else high = middle;
  }
  return low;
}
