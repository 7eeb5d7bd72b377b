/**
 * Member counts reused for a while, for `presence.ts`: counting reads a
 * room whole, and a large room's joins and its member-count announcements
 * ask often.
 *
 * @module
 */

/** Options for {@linkcode CachedCounts}. */
export interface CachedCountsOptions {
  /** Milliseconds a count is reused for; 0 reads it on every call. */
  maxAgeMs: number;
  /** Clock in milliseconds since the Unix epoch. */
  now: () => number;
}

/** Counts per room, each shared by every caller until it is too old. */
export class CachedCounts {
  #read: (room: string) => Promise<number>;
  #maxAgeMs: number;
  #now: () => number;
  /** Counts read lately, per room, with when they were read. */
  #counts = new Map<string, { at: number; count: Promise<number> }>();

  /** Counts a room with `read` when it has no count young enough. */
  constructor(
    read: (room: string) => Promise<number>,
    options: CachedCountsOptions,
  ) {
    this.#read = read;
    this.#maxAgeMs = options.maxAgeMs;
    this.#now = options.now;
  }

  /** The count of `room`, read now or reused; a failed read is not reused. */
  get(room: string): Promise<number> {
    const cached = this.#counts.get(room);
    if (cached && this.#now() - cached.at < this.#maxAgeMs) {
      return cached.count;
    }
    const count = this.#read(room);
    this.#counts.set(room, { at: this.#now(), count });
    count.then(
      () => this.#forgetStale(),
      () => {
        // A failed read is not reused; the caller sees the error.
        if (this.#counts.get(room)?.count === count) {
          this.#counts.delete(room);
        }
      },
    );
    return count;
  }

  /** Forgets every count. */
  clear(): void {
    this.#counts.clear();
  }

  /** Drops counts past their age, so rooms no longer asked about hold nothing. */
  #forgetStale(): void {
    const now = this.#now();
    for (const [room, cached] of this.#counts) {
      if (now - cached.at >= this.#maxAgeMs) this.#counts.delete(room);
    }
  }
}
