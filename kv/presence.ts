/**
 * {@linkcode Presence} across isolates in Deno KV, for Deno Deploy.
 *
 * Each instance counts its own connections per (room, name) in memory and
 * keeps one KV entry per (room, name) it has: `["presence", room, name,
 * instanceId]` holds the time of its last refresh and expires after the TTL.
 * One heartbeat per instance, running only while it has entries, refreshes
 * them every third of the TTL; an instance that dies stops doing so and its
 * names drop out after the TTL. KV deletes expired keys lazily, so readers
 * also ignore entries whose timestamp is older than the TTL.
 *
 * Every change of who is in a room under a name also rewrites
 * `["presence_guard", room, name]`, and each join or leave commits only if
 * that key did not move since it read the entries. So when two instances
 * race, exactly one of them sees the name arrive (or leave) first.
 *
 * @module
 */
import { commitOrBusy, randomPause } from "./database.ts";
import { log } from "../observability/log.ts";
import { ConnectionCounts, type Presence } from "../chat/presence.ts";

/** Options for {@linkcode KvPresence}. */
export interface KvPresenceOptions {
  /**
   * Milliseconds an instance's entries live without a heartbeat.
   *
   * @default {15000}
   */
  ttlMs?: number;
  /**
   * Milliseconds between heartbeats; a third of the TTL lets two beats in a
   * row fail before the entries expire.
   *
   * @default {ttlMs / 3}
   */
  heartbeatIntervalMs?: number;
  /**
   * Milliseconds a room's member count is reused for: {@linkcode KvPresence.count}
   * reads the room whole, and a large room's count is announced once a
   * second at most anyway. 0 reads it on every call.
   *
   * @default {1000}
   */
  countMaxAgeMs?: number;
  /**
   * Clock in milliseconds since the Unix epoch.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

/** Default for {@linkcode KvPresenceOptions.ttlMs}, the same as `CHAT_PRESENCE_TTL`'s. */
export const DEFAULT_PRESENCE_TTL_MS = 15_000;
/** Default for {@linkcode KvPresenceOptions.countMaxAgeMs}. */
export const DEFAULT_COUNT_MAX_AGE_MS = 1000;
/** Attempts at a join or leave whose guard moved under it (another instance) before giving up. */
const MAX_COMMIT_ATTEMPTS = 20;
/** Longest random pause, in milliseconds, before retrying, so racing instances spread out. */
const RETRY_PAUSE_MS = 20;
/** Entries written per atomic commit by the heartbeat and `close()`; KV allows 1000 mutations. */
const BATCH_SIZE = 100;

interface Entry {
  /** When the owning instance last wrote the entry, in its clock. */
  ts: number;
}

/**
 * Room members shared by every isolate through Deno KV.
 *
 * @example Two isolates, one member list
 * ```ts
 * import assert from "node:assert/strict";
 * import { KvPresence } from "./presence.ts";
 *
 * const path = await Deno.makeTempFile();
 * await using kvA = await Deno.openKv(path);
 * await using kvB = await Deno.openKv(path);
 * await using a = new KvPresence(kvA);
 * await using b = new KvPresence(kvB);
 * assert.equal(await a.join("general", "ada"), true);
 * assert.equal(await b.join("general", "ada"), false);
 * assert.equal(await b.join("general", "bo"), true);
 * assert.deepEqual(await a.members("general"), ["ada", "bo"]);
 * assert.equal(await a.leave("general", "ada"), false);
 * assert.equal(await b.leave("general", "ada"), true);
 * await b.close();
 * await a.close();
 * await Deno.remove(path);
 * ```
 */
export class KvPresence implements Presence {
  /** This instance's id in the presence entries. */
  readonly instanceId: string = crypto.randomUUID();
  #kv: Promise<Deno.Kv>;
  #ttlMs: number;
  #intervalMs: number;
  #now: () => number;
  /** Local connections per name per room. */
  #counts = new ConnectionCounts();
  /** Member counts read lately, per room, with when they were read. */
  #roomCounts = new Map<string, { at: number; count: Promise<number> }>();
  #countMaxAgeMs: number;
  /** The KV update in flight per (room, name), so they apply in order. */
  #queues = new Map<string, Promise<unknown>>();
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The heartbeat in flight, which a leave waits for before deleting. */
  #beat: Promise<void> = Promise.resolve();
  #closed = false;

  /** Uses `kv`, which the caller owns and closes after {@linkcode KvPresence.close}. */
  constructor(kv: Deno.Kv | Promise<Deno.Kv>, options: KvPresenceOptions = {}) {
    this.#kv = Promise.resolve(kv);
    this.#ttlMs = options.ttlMs ?? DEFAULT_PRESENCE_TTL_MS;
    this.#intervalMs = options.heartbeatIntervalMs ?? this.#ttlMs / 3;
    this.#now = options.now ?? Date.now;
    this.#countMaxAgeMs = options.countMaxAgeMs ?? DEFAULT_COUNT_MAX_AGE_MS;
  }

  /**
   * Adds one local connection; `true` when no live instance had `user` in `room`.
   *
   * @throws {Error} After {@linkcode KvPresence.close}, or when KV cannot be updated.
   */
  join(room: string, user: string): Promise<boolean> {
    if (this.#closed) {
      return Promise.reject(new Error("Cannot join presence: it is closed"));
    }
    const first = this.#counts.add(room, user);
    this.#startHeartbeat();
    if (!first) return Promise.resolve(false);
    return this.#serially(room, user, async () => {
      try {
        return await this.#update(room, user, "join");
      } catch (error) {
        this.#forget(room, user);
        throw error;
      }
    });
  }

  /**
   * Removes one local connection; `true` when no live instance has `user` in `room` any more.
   *
   * @throws {Error} When KV cannot be updated.
   */
  leave(room: string, user: string): Promise<boolean> {
    if (!this.#forget(room, user)) return Promise.resolve(false);
    return this.#serially(room, user, async () => {
      // A heartbeat that read the entry before it was forgotten must not
      // write it back after the delete.
      await this.#beat;
      return await this.#update(room, user, "leave");
    });
  }

  /**
   * Names present in `room` on any live instance, sorted; with `limit`, the
   * first that many in key order (UTF-8 byte order, which may differ from
   * `Array.prototype.sort` for characters beyond the BMP): the listing stops
   * there, so a large room is not read whole.
   */
  async members(room: string, limit = Infinity): Promise<string[]> {
    const names: string[] = [];
    if (limit <= 0) return names;
    for await (const name of this.#liveNames(room)) {
      names.push(name);
      if (names.length >= limit) break;
    }
    return names.sort();
  }

  /**
   * How many names have a live entry in `room`. Counting reads the room
   * whole, so a count is shared by every caller for
   * {@linkcode KvPresenceOptions.countMaxAgeMs} (a large room's joins and
   * its member-count announcements ask often).
   */
  count(room: string): Promise<number> {
    const cached = this.#roomCounts.get(room);
    if (cached && this.#now() - cached.at < this.#countMaxAgeMs) {
      return cached.count;
    }
    const count = this.#countLiveNames(room);
    this.#roomCounts.set(room, { at: this.#now(), count });
    count.then(
      () => this.#forgetStaleCounts(),
      () => {
        // A failed read is not reused; the caller sees the error.
        if (this.#roomCounts.get(room)?.count === count) {
          this.#roomCounts.delete(room);
        }
      },
    );
    return count;
  }

  async #countLiveNames(room: string): Promise<number> {
    let count = 0;
    for await (const _name of this.#liveNames(room)) count++;
    return count;
  }

  /** Names with a live entry in `room`, each once, in key order. */
  async *#liveNames(room: string): AsyncGenerator<string> {
    const kv = await this.#kv;
    let last: string | undefined;
    // An instance's entries for one name sort next to the others' for it.
    for await (const entry of kv.list<Entry>({ prefix: ["presence", room] })) {
      const user = entry.key[2];
      if (
        typeof user !== "string" || user === last || !this.#live(entry.value)
      ) continue;
      last = user;
      yield user;
    }
  }

  /** Drops cached counts past their age, so rooms no longer asked about hold nothing. */
  #forgetStaleCounts(): void {
    const now = this.#now();
    for (const [room, cached] of this.#roomCounts) {
      if (now - cached.at >= this.#countMaxAgeMs) this.#roomCounts.delete(room);
    }
  }

  /** Stops the heartbeat and removes this instance's entries; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopHeartbeat();
    await Promise.allSettled(this.#queues.values());
    await this.#beat;
    const entries = this.#counts.entries();
    this.#counts.clear();
    this.#roomCounts.clear();
    try {
      const kv = await this.#kv;
      for (let i = 0; i < entries.length; i += BATCH_SIZE) {
        const batch = entries.slice(i, i + BATCH_SIZE);
        await commitWithRetry(() => {
          const atomic = kv.atomic();
          for (const [room, user] of batch) {
            // Moving the guard makes a racing join or leave elsewhere re-read.
            atomic.delete(["presence", room, user, this.instanceId])
              .set(["presence_guard", room, user], this.#now(), {
                expireIn: this.#ttlMs,
              });
          }
          return atomic;
        });
      }
    } catch (error) {
      log("warn", "presence.cleanup_failed", { error });
    }
  }

  /** Same as {@linkcode KvPresence.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #live(entry: Entry | null): boolean {
    return entry !== null && typeof entry.ts === "number" &&
      entry.ts > this.#now() - this.#ttlMs;
  }

  /**
   * Writes (join) or deletes (leave) this instance's entry for `user`, and
   * tells whether no other live instance has the user, as of that commit.
   */
  async #update(
    room: string,
    user: string,
    change: "join" | "leave",
  ): Promise<boolean> {
    const kv = await this.#kv;
    const own: Deno.KvKey = ["presence", room, user, this.instanceId];
    const guardKey: Deno.KvKey = ["presence_guard", room, user];
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      // The guard is read first: whatever changes the entries after this
      // read also moves the guard, and the commit's check then fails.
      const guard = await kv.get(guardKey);
      let others = 0;
      for await (
        const entry of kv.list<Entry>({ prefix: ["presence", room, user] })
      ) {
        if (entry.key[3] !== this.instanceId && this.#live(entry.value)) {
          others++;
        }
      }
      const now = this.#now();
      const atomic = kv.atomic().check(guard)
        .set(guardKey, now, { expireIn: this.#ttlMs });
      if (change === "join") {
        atomic.set(own, { ts: now } satisfies Entry, { expireIn: this.#ttlMs });
      } else {
        atomic.delete(own);
      }
      const result = await commitOrBusy(atomic);
      if (result.ok) return others === 0;
      await randomPause(RETRY_PAUSE_MS);
    }
    throw new Error(
      `Cannot ${change} presence: "${room}" changed ${MAX_COMMIT_ATTEMPTS} times under it`,
    );
  }

  /** Runs `task` after the previous KV update of (room, user) settles. */
  #serially<T>(room: string, user: string, task: () => Promise<T>): Promise<T> {
    const key = JSON.stringify([room, user]);
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.then(() => {}, () => {});
    this.#queues.set(key, settled);
    settled.then(() => {
      if (this.#queues.get(key) === settled) this.#queues.delete(key);
    });
    return next;
  }

  /** Counts one local connection fewer; returns whether it was the name's last here. */
  #forget(room: string, user: string): boolean {
    const last = this.#counts.remove(room, user);
    if (this.#counts.size === 0) this.#stopHeartbeat();
    return last;
  }

  #startHeartbeat(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      // One beat at a time: a slow one is not stacked with the next.
      this.#beat = this.#beat.then(() => this.#heartbeat());
    }, this.#intervalMs);
  }

  #stopHeartbeat(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #heartbeat(): Promise<void> {
    const entries = this.#counts.entries();
    if (entries.length === 0 || this.#closed) return;
    try {
      const kv = await this.#kv;
      const ts = this.#now();
      for (let i = 0; i < entries.length; i += BATCH_SIZE) {
        const batch = entries.slice(i, i + BATCH_SIZE);
        await commitWithRetry(() => {
          const atomic = kv.atomic();
          for (const [room, user] of batch) {
            atomic.set(
              ["presence", room, user, this.instanceId],
              { ts } satisfies Entry,
              { expireIn: this.#ttlMs },
            );
          }
          return atomic;
        });
      }
    } catch (error) {
      // The next beat tries again; two may fail before the entries expire.
      log("debug", "presence.heartbeat_failed", { error });
    }
  }
}

/** Builds and commits an unchecked write, retrying while the local database is busy. */
async function commitWithRetry(
  build: () => Deno.AtomicOperation,
): Promise<void> {
  for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
    if ((await commitOrBusy(build())).ok) return;
  }
  throw new Error(
    `Cannot write presence: the database stayed busy for ${MAX_COMMIT_ATTEMPTS} attempts`,
  );
}
