/**
 * {@linkcode Presence} across isolates in Deno KV, for Deno Deploy.
 *
 * Each instance counts its own connections per (room, user) in memory and
 * keeps one KV entry per (room, user) it has: `["presence", room, userId,
 * instanceId]` holds the time of its last refresh, the user's name as they
 * joined there and when that was, and expires after the TTL. A user listed
 * by several instances goes by the name set last. One heartbeat per
 * instance, running only while it has entries, refreshes them every third
 * of the TTL; an instance that dies stops doing so and its users drop out
 * after the TTL. KV deletes expired keys lazily, so readers also ignore
 * entries whose timestamp is older than the TTL.
 *
 * Every change of who is in a room also rewrites `["presence_guard", room,
 * userId]`, and each join or leave commits only if that key did not move
 * since it read the entries. So when two instances race, exactly one of them
 * sees the user arrive (or leave) first.
 *
 * @module
 */
import { commitOrBusy, randomPause } from "./database.ts";
import { log } from "../observability/log.ts";
import { byName, type Member } from "../chat/events.ts";
import { parseMember } from "../chat/parse_event.ts";
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
  /** The user's name as they joined through that instance. */
  name: string;
  /** When that name was set, so the one set last wins. */
  named: number;
  /** Present, and `true`, for a guest. */
  guest?: true;
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
 * const [ada, bo] = [{ id: "u1", name: "Ada" }, { id: "u2", name: "Bo" }];
 * assert.equal(await a.join("general", ada), true);
 * assert.equal(await b.join("general", ada), false);
 * assert.equal(await b.join("general", bo), true);
 * assert.deepEqual(await a.members("general"), [ada, bo]);
 * assert.equal(await a.leave("general", ada), false);
 * assert.equal(await b.leave("general", ada), true);
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
  /** Local connections per user per room. */
  #counts = new ConnectionCounts();
  /** When each local (room, user) got its current name, by `[room, id]` JSON. */
  #named = new Map<string, number>();
  /** Member counts read lately, per room, with when they were read. */
  #roomCounts = new Map<string, { at: number; count: Promise<number> }>();
  #countMaxAgeMs: number;
  /** The KV update in flight per (room, user), so they apply in order. */
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
   * Adds one local connection and lists the user under `member.name`;
   * `true` when no live instance had the user in `room`.
   *
   * @throws {Error} After {@linkcode KvPresence.close}, or when KV cannot be updated.
   */
  join(room: string, member: Member): Promise<boolean> {
    if (this.#closed) {
      return Promise.reject(new Error("Cannot join presence: it is closed"));
    }
    const previous = this.#counts.member(room, member.id);
    const first = this.#counts.add(room, member);
    this.#startHeartbeat();
    if (
      !first && previous?.name === member.name &&
      previous.guest === member.guest
    ) {
      return Promise.resolve(false);
    }
    this.#named.set(JSON.stringify([room, member.id]), this.#now());
    return this.#serially(room, member.id, async () => {
      try {
        return await this.#update(room, member, "join") && first;
      } catch (error) {
        if (first) this.#forget(room, member);
        throw error;
      }
    });
  }

  /**
   * Removes one local connection; `true` when no live instance has the user in `room` any more.
   *
   * @throws {Error} When KV cannot be updated.
   */
  leave(room: string, member: Member): Promise<boolean> {
    if (!this.#forget(room, member)) return Promise.resolve(false);
    return this.#serially(room, member.id, async () => {
      // A heartbeat that read the entry before it was forgotten must not
      // write it back after the delete.
      await this.#beat;
      return await this.#update(room, member, "leave");
    });
  }

  /**
   * Users present in `room` on any live instance, sorted by name; with
   * `limit`, the first that many in key (user id) order: the listing stops
   * there, so a large room is not read whole.
   */
  async members(room: string, limit = Infinity): Promise<Member[]> {
    const members: Member[] = [];
    if (limit <= 0) return members;
    for await (const member of this.#liveMembers(room)) {
      members.push(member);
      if (members.length >= limit) break;
    }
    return members.sort(byName);
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

  /**
   * Up to `limit` rooms where a user has a live entry and that `accept`
   * takes, in name order: the listing skips from each room's first entry to
   * the next room's, so it does not read every member of every room, nor
   * any of a room `accept` refuses.
   */
  async rooms(
    limit: number,
    accept: (room: string) => boolean = () => true,
  ): Promise<string[]> {
    const kv = await this.#kv;
    const rooms: string[] = [];
    let after: string | undefined;
    while (rooms.length < limit) {
      const selector = after === undefined
        ? { prefix: ["presence"] }
        // The smallest name after `after` and every key under it.
        : { prefix: ["presence"], start: ["presence", `${after}\0`] };
      const [first] = await Array.fromAsync(kv.list(selector, { limit: 1 }));
      const room = first?.key[1];
      if (typeof room !== "string") break;
      after = room;
      if (!accept(room)) continue;
      const live = this.#liveMembers(room);
      if (!(await live.next()).done) rooms.push(room);
      await live.return(undefined);
    }
    return rooms;
  }

  async #countLiveNames(room: string): Promise<number> {
    let count = 0;
    for await (const _member of this.#liveMembers(room)) count++;
    return count;
  }

  /**
   * Users with a live entry in `room`, each once, in key order, under the
   * name set last over their instances' entries.
   */
  async *#liveMembers(room: string): AsyncGenerator<Member> {
    const kv = await this.#kv;
    let current: { member: Member; named: number } | undefined;
    // Instances' entries for one user sort next to each other.
    for await (const entry of kv.list<Entry>({ prefix: ["presence", room] })) {
      const id = entry.key[2];
      if (!this.#live(entry.value)) continue;
      const member = parseMember({ ...entry.value, id });
      if (member === undefined) continue;
      if (current?.member.id === member.id) {
        if (entry.value.named > current.named) {
          current = { member, named: entry.value.named };
        }
        continue;
      }
      if (current) yield current.member;
      current = { member, named: entry.value.named };
    }
    if (current) yield current.member;
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
    this.#named.clear();
    this.#roomCounts.clear();
    try {
      const kv = await this.#kv;
      for (let i = 0; i < entries.length; i += BATCH_SIZE) {
        const batch = entries.slice(i, i + BATCH_SIZE);
        await commitWithRetry(() => {
          const atomic = kv.atomic();
          for (const [room, { id }] of batch) {
            // Moving the guard makes a racing join or leave elsewhere re-read.
            atomic.delete(["presence", room, id, this.instanceId])
              .set(["presence_guard", room, id], this.#now(), {
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

  #live(entry: Entry | null): entry is Entry {
    return entry !== null && typeof entry.ts === "number" &&
      entry.ts > this.#now() - this.#ttlMs && typeof entry.named === "number";
  }

  /** This instance's entry for a local member, as of `ts`. */
  #entry(room: string, member: Member, ts: number): Entry {
    const entry: Entry = {
      ts,
      name: member.name,
      named: this.#named.get(JSON.stringify([room, member.id])) ?? ts,
    };
    if (member.guest) entry.guest = true;
    return entry;
  }

  /**
   * Writes (join) or deletes (leave) this instance's entry for the user, and
   * tells whether no other live instance has the user, as of that commit.
   */
  async #update(
    room: string,
    member: Member,
    change: "join" | "leave",
  ): Promise<boolean> {
    const kv = await this.#kv;
    const user = member.id;
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
        atomic.set(own, this.#entry(room, member, now), {
          expireIn: this.#ttlMs,
        });
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

  /** Counts one local connection fewer; returns whether it was the user's last here. */
  #forget(room: string, member: Member): boolean {
    const last = this.#counts.remove(room, member);
    if (last) this.#named.delete(JSON.stringify([room, member.id]));
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
          for (const [room, member] of batch) {
            atomic.set(
              ["presence", room, member.id, this.instanceId],
              this.#entry(room, member, ts),
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
