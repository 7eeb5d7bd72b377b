/**
 * Who is in each room. A user is present while at least one of their
 * connections is in the room, so a user with two tabs (or connections
 * through two instances) appears once, under the name they joined with last.
 *
 * @module
 */
import { byName, type Member } from "./events.ts";

/** Presence bookkeeping; implemented in memory here and over Redis and Deno KV elsewhere. */
export interface Presence extends AsyncDisposable {
  /**
   * Adds one connection of `member` to `room` and lists the user under
   * `member.name` from now on.
   *
   * @returns `true` when the user was not present before.
   */
  join(room: string, member: Member): Promise<boolean>;
  /**
   * Removes one connection of `member` from `room`.
   *
   * @returns `true` when that was the user's last connection there.
   */
  leave(room: string, member: Member): Promise<boolean>;
  /**
   * Users present in `room`, sorted by name; with `limit`, at most that many
   * (which ones is the implementation's choice: a large room is not read
   * whole).
   */
  members(room: string, limit?: number): Promise<Member[]>;
  /** How many users are present in `room`. */
  count(room: string): Promise<number>;
  /**
   * Up to `limit` rooms where a user is present (which ones, beyond the
   * limit, is the implementation's choice); with `accept`, only rooms it
   * takes, and those it refuses do not count against the limit.
   */
  rooms(limit: number, accept?: (room: string) => boolean): Promise<string[]>;
  /** Releases resources; idempotent. */
  close(): Promise<void>;
}

/**
 * Connections per user per room in this process, with the name each user
 * joined with last: the local bookkeeping every {@linkcode Presence} keeps,
 * whatever it shares with other instances.
 *
 * @example Two tabs, one user
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionCounts } from "./presence.ts";
 *
 * const counts = new ConnectionCounts();
 * const ada = { id: "u1", name: "Ada" };
 * assert.equal(counts.add("general", ada), true);
 * assert.equal(counts.add("general", { ...ada, name: "Ada L." }), false);
 * assert.equal(counts.member("general", "u1")?.name, "Ada L.");
 * assert.equal(counts.remove("general", ada), false);
 * assert.equal(counts.remove("general", ada), true);
 * assert.equal(counts.size, 0);
 * ```
 */
export class ConnectionCounts {
  #rooms = new Map<string, Map<string, { count: number; member: Member }>>();

  /** Rooms with at least one connection. */
  get size(): number {
    return this.#rooms.size;
  }

  /**
   * Counts one more connection of `member` in `room`, whose name it takes.
   *
   * @returns Whether it is the user's first in the room.
   */
  add(room: string, member: Member): boolean {
    let users = this.#rooms.get(room);
    if (!users) this.#rooms.set(room, users = new Map());
    const entry = users.get(member.id);
    users.set(member.id, { count: (entry?.count ?? 0) + 1, member });
    return entry === undefined;
  }

  /**
   * Counts one connection fewer, forgetting users and rooms left empty.
   *
   * @returns Whether it was the user's last in the room (`false` when they had none).
   */
  remove(room: string, member: Member): boolean {
    const users = this.#rooms.get(room);
    const entry = users?.get(member.id);
    if (!users || !entry) return false;
    if (entry.count > 1) {
      entry.count--;
      return false;
    }
    users.delete(member.id);
    if (users.size === 0) this.#rooms.delete(room);
    return true;
  }

  /** The user `id` in `room` as last joined, if present. */
  member(room: string, id: string): Member | undefined {
    return this.#rooms.get(room)?.get(id)?.member;
  }

  /** Every (room, member) with a connection. */
  entries(): [string, Member][] {
    return [...this.#rooms].flatMap(([room, users]) =>
      [...users.values()].map(({ member }): [string, Member] => [room, member])
    );
  }

  /** Forgets every connection. */
  clear(): void {
    this.#rooms.clear();
  }
}

/**
 * {@linkcode Presence} for one process: a connection count per user per room.
 *
 * @example Two tabs, one member
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryPresence } from "./presence.ts";
 *
 * await using presence = new MemoryPresence();
 * const ada = { id: "u1", name: "Ada" };
 * assert.equal(await presence.join("general", ada), true);
 * assert.equal(await presence.join("general", ada), false);
 * assert.deepEqual(await presence.members("general"), [ada]);
 * assert.equal(await presence.leave("general", ada), false);
 * assert.equal(await presence.leave("general", ada), true);
 * assert.deepEqual(await presence.members("general"), []);
 * ```
 */
export class MemoryPresence implements Presence {
  #counts = new ConnectionCounts();
  /**
   * Each room's members kept sorted as they come, go and rename, so that
   * reading the list (every join) is a copy rather than a sort of the whole
   * room.
   */
  #sorted = new Map<string, Member[]>();

  /** Counts one more connection of `member` in `room`. */
  join(room: string, member: Member): Promise<boolean> {
    const previous = this.#counts.member(room, member.id);
    const first = this.#counts.add(room, member);
    if (previous?.name !== member.name || previous.guest !== member.guest) {
      let sorted = this.#sorted.get(room);
      if (!sorted) this.#sorted.set(room, sorted = []);
      if (previous) sorted.splice(insertionPoint(sorted, previous), 1);
      sorted.splice(insertionPoint(sorted, member), 0, member);
    }
    return Promise.resolve(first);
  }

  /** Counts one connection fewer; forgets empty users and rooms. */
  leave(room: string, member: Member): Promise<boolean> {
    const listed = this.#counts.member(room, member.id);
    const last = this.#counts.remove(room, member);
    if (last && listed) {
      const sorted = this.#sorted.get(room)!;
      sorted.splice(insertionPoint(sorted, listed), 1);
      if (sorted.length === 0) this.#sorted.delete(room);
    }
    return Promise.resolve(last);
  }

  /** Users present in `room`, sorted by name; with `limit`, the first that many. */
  members(room: string, limit?: number): Promise<Member[]> {
    return Promise.resolve(this.#sorted.get(room)?.slice(0, limit) ?? []);
  }

  /** How many users are present in `room`. */
  count(room: string): Promise<number> {
    return Promise.resolve(this.#sorted.get(room)?.length ?? 0);
  }

  /** Up to `limit` rooms with someone present that `accept` takes. */
  rooms(
    limit: number,
    accept: (room: string) => boolean = () => true,
  ): Promise<string[]> {
    return Promise.resolve(
      this.#sorted.keys().filter(accept).take(limit).toArray(),
    );
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

/** Index of the first member in `sorted` not before `member` (binary search). */
function insertionPoint(sorted: readonly Member[], member: Member): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (byName(sorted[middle]!, member) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
