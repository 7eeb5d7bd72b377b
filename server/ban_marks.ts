/**
 * The bans a connection was told of through the control channel, so that
 * its requests for a room it was taken out of are refused as `banned` (not
 * merely `not_joined`) until the ban ends or is lifted. Joins read the store
 * itself; these marks only name the refusal.
 *
 * @module
 */

/** The key of a ban of every room. */
const EVERY_ROOM = "*";

/**
 * One connection's bans, by room.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BanMarks } from "./ban_marks.ts";
 *
 * let now = 0;
 * const marks = new BanMarks(() => now);
 * marks.add(null, 1000);
 * assert.equal(marks.until("general"), 1000);
 * now = 1000;
 * assert.equal(marks.until("general"), undefined);
 * ```
 */
export class BanMarks {
  /** Made at the first mark: most connections are never banned, and an empty map is ~180 bytes. */
  #marks: Map<string, number | null> | undefined;
  #now: () => number;

  /** No bans yet; `now` tells when they end. */
  constructor(now: () => number) {
    this.#now = now;
  }

  /** Marks a ban of `room` (every room for `null`) that ends at `until` (never for `null`). */
  add(room: string | null, until: number | null): void {
    this.#marks ??= new Map();
    this.#marks.set(room ?? EVERY_ROOM, until);
  }

  /** Forgets the ban of `room` (every room for `null`). */
  remove(room: string | null): void {
    this.#marks?.delete(room ?? EVERY_ROOM);
  }

  /**
   * The end of a ban in force of `room`, or of every room.
   *
   * @param room A room.
   * @returns When the ban ends (`null`: never), or `undefined` for none.
   */
  until(room: string): number | null | undefined {
    if (this.#marks === undefined) return undefined;
    for (const key of [room, EVERY_ROOM]) {
      const until = this.#marks.get(key);
      if (until === undefined) continue;
      if (until === null || until > this.#now()) return until;
      this.#marks.delete(key);
    }
    return undefined;
  }
}
