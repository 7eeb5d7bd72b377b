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
  /**
   * Names present in `room`, sorted; with `limit`, at most that many (which
   * ones is the implementation's choice: a large room is not read whole).
   */
  members(room: string, limit?: number): Promise<string[]>;
  /** How many names are present in `room`. */
  count(room: string): Promise<number>;
  /** Releases resources; idempotent. */
  close(): Promise<void>;
}

/**
 * Connections per name per room in this process: the local bookkeeping every
 * {@linkcode Presence} keeps, whatever it shares with other instances.
 *
 * @example Two tabs, one name
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionCounts } from "./presence.ts";
 *
 * const counts = new ConnectionCounts();
 * assert.equal(counts.add("general", "ada"), true);
 * assert.equal(counts.add("general", "ada"), false);
 * assert.equal(counts.remove("general", "ada"), false);
 * assert.equal(counts.remove("general", "ada"), true);
 * assert.equal(counts.size, 0);
 * ```
 */
export class ConnectionCounts {
  #rooms = new Map<string, Map<string, number>>();

  /** Rooms with at least one connection. */
  get size(): number {
    return this.#rooms.size;
  }

  /**
   * Counts one more connection of `user` in `room`.
   *
   * @returns Whether it is the name's first in the room.
   */
  add(room: string, user: string): boolean {
    let counts = this.#rooms.get(room);
    if (!counts) this.#rooms.set(room, counts = new Map());
    const count = counts.get(user) ?? 0;
    counts.set(user, count + 1);
    return count === 0;
  }

  /**
   * Counts one connection fewer, forgetting empty names and rooms.
   *
   * @returns Whether it was the name's last in the room (`false` when it had none).
   */
  remove(room: string, user: string): boolean {
    const counts = this.#rooms.get(room);
    const count = counts?.get(user) ?? 0;
    if (!counts || count === 0) return false;
    if (count > 1) {
      counts.set(user, count - 1);
      return false;
    }
    counts.delete(user);
    if (counts.size === 0) this.#rooms.delete(room);
    return true;
  }

  /** Every (room, name) with a connection. */
  entries(): [string, string][] {
    return [...this.#rooms].flatMap(([room, counts]) =>
      [...counts.keys()].map((user): [string, string] => [room, user])
    );
  }

  /** Forgets every connection. */
  clear(): void {
    this.#rooms.clear();
  }
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
  #counts = new ConnectionCounts();
  /**
   * Each room's names kept sorted as they come and go, so that reading the
   * list (every join) is a copy rather than a sort of the whole room.
   */
  #sorted = new Map<string, string[]>();

  /** Counts one more connection of `user` in `room`. */
  join(room: string, user: string): Promise<boolean> {
    const first = this.#counts.add(room, user);
    if (first) {
      let sorted = this.#sorted.get(room);
      if (!sorted) this.#sorted.set(room, sorted = []);
      sorted.splice(insertionPoint(sorted, user), 0, user);
    }
    return Promise.resolve(first);
  }

  /** Counts one connection fewer; forgets empty names and rooms. */
  leave(room: string, user: string): Promise<boolean> {
    const last = this.#counts.remove(room, user);
    if (last) {
      const sorted = this.#sorted.get(room)!;
      sorted.splice(insertionPoint(sorted, user), 1);
      if (sorted.length === 0) this.#sorted.delete(room);
    }
    return Promise.resolve(last);
  }

  /** Names present in `room`, sorted; with `limit`, the first that many. */
  members(room: string, limit?: number): Promise<string[]> {
    return Promise.resolve(this.#sorted.get(room)?.slice(0, limit) ?? []);
  }

  /** How many names are present in `room`. */
  count(room: string): Promise<number> {
    return Promise.resolve(this.#sorted.get(room)?.length ?? 0);
  }

  /** Forgets everyone. */
  close(): Promise<void> {
    this.#counts.clear();
    this.#sorted.clear();
    return Promise.resolve();
  }

  /** Same as {@linkcode MemoryPresence.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
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
