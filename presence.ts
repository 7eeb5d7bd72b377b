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
  #rooms = new Map<string, Map<string, number>>();

  /** Counts one more connection of `user` in `room`. */
  join(room: string, user: string): Promise<boolean> {
    let counts = this.#rooms.get(room);
    if (!counts) this.#rooms.set(room, counts = new Map());
    const count = counts.get(user) ?? 0;
    counts.set(user, count + 1);
    return Promise.resolve(count === 0);
  }

  /** Counts one connection fewer; forgets empty names and rooms. */
  leave(room: string, user: string): Promise<boolean> {
    const counts = this.#rooms.get(room);
    const count = counts?.get(user) ?? 0;
    if (!counts || count === 0) return Promise.resolve(false);
    if (count > 1) {
      counts.set(user, count - 1);
      return Promise.resolve(false);
    }
    counts.delete(user);
    if (counts.size === 0) this.#rooms.delete(room);
    return Promise.resolve(true);
  }

  /** Names present in `room`, sorted. */
  members(room: string): Promise<string[]> {
    return Promise.resolve([...this.#rooms.get(room)?.keys() ?? []].sort());
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
