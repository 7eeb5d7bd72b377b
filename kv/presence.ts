/**
 * {@linkcode Presence} across isolates in Deno KV, for Deno Deploy.
 *
 * Each instance counts its own connections per (room, user) in memory and
 * keeps one KV entry per (room, user) it has, with the user's name as they
 * joined there, expiring after the TTL (`_presence_entries.ts` lays them
 * out). A user listed by several instances goes by the name set last. One
 * heartbeat per instance (`_presence_heartbeat.ts`), running only while it
 * has entries, refreshes them every third of the TTL; an instance that dies
 * stops doing so and its users drop out after the TTL.
 *
 * Every change of who is in a room also moves a guard key per (room, user),
 * and each join or leave commits only if it did not move since it read the
 * entries. So when two instances race, exactly one of them sees the user
 * arrive (or leave) first.
 *
 * @module
 */
import { log } from "../observability/log.ts";
import { byName, type Member } from "../chat/events.ts";
import { ConnectionCounts, type Presence } from "../chat/presence.ts";
import { CachedCounts } from "./_cached_counts.ts";
import { PresenceEntries } from "./_presence_entries.ts";
import { PresenceHeartbeat } from "./_presence_heartbeat.ts";

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
  /** The KV entries: this instance's, and reading every instance's. */
  #entries: PresenceEntries;
  /** Renews this instance's entries while it has any. */
  #heartbeat: PresenceHeartbeat;
  #now: () => number;
  /** Local connections per user per room. */
  #counts = new ConnectionCounts();
  /** When each local (room, user) got its current name, by `[room, id]` JSON. */
  #named = new Map<string, number>();
  /** Member counts read lately, reused for `countMaxAgeMs`. */
  #roomCounts: CachedCounts;
  /** The KV update in flight per (room, user), so they apply in order. */
  #queues = new Map<string, Promise<unknown>>();
  #closed = false;

  /** Uses `kv`, which the caller owns and closes after {@linkcode KvPresence.close}. */
  constructor(kv: Deno.Kv | Promise<Deno.Kv>, options: KvPresenceOptions = {}) {
    const ttlMs = options.ttlMs ?? DEFAULT_PRESENCE_TTL_MS;
    this.#now = options.now ?? Date.now;
    this.#entries = new PresenceEntries({
      kv: Promise.resolve(kv),
      instanceId: this.instanceId,
      ttlMs,
      now: this.#now,
      named: (room, user) => this.#named.get(JSON.stringify([room, user])),
    });
    this.#heartbeat = new PresenceHeartbeat(this.#entries, {
      intervalMs: options.heartbeatIntervalMs ?? ttlMs / 3,
      counts: this.#counts,
      closed: () => this.#closed,
    });
    this.#roomCounts = new CachedCounts(
      (room) => this.#entries.countLive(room),
      {
        maxAgeMs: options.countMaxAgeMs ?? DEFAULT_COUNT_MAX_AGE_MS,
        now: this.#now,
      },
    );
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
    this.#heartbeat.start();
    if (
      !first && previous?.name === member.name &&
      previous.guest === member.guest
    ) {
      return Promise.resolve(false);
    }
    this.#named.set(JSON.stringify([room, member.id]), this.#now());
    return this.#serially(room, member.id, async () => {
      try {
        return await this.#entries.update(room, member, "join") && first;
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
      await this.#heartbeat.inFlight;
      return await this.#entries.update(room, member, "leave");
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
    for await (const member of this.#entries.liveMembers(room)) {
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
    return this.#roomCounts.get(room);
  }

  /**
   * Up to `limit` rooms where a user has a live entry and that `accept`
   * takes, in name order: the listing skips from each room's first entry to
   * the next room's, so it does not read every member of every room, nor
   * any of a room `accept` refuses.
   */
  rooms(
    limit: number,
    accept: (room: string) => boolean = () => true,
  ): Promise<string[]> {
    return this.#entries.rooms(limit, accept);
  }

  /** Stops the heartbeat and removes this instance's entries; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#heartbeat.stop();
    await Promise.allSettled(this.#queues.values());
    await this.#heartbeat.inFlight;
    const entries = this.#counts.entries();
    this.#counts.clear();
    this.#named.clear();
    this.#roomCounts.clear();
    try {
      await this.#entries.remove(entries);
    } catch (error) {
      log("warn", "presence.cleanup_failed", { error });
    }
  }

  /** Same as {@linkcode KvPresence.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
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
    if (this.#counts.size === 0) this.#heartbeat.stop();
    return last;
  }
}
