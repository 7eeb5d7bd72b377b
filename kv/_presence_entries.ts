/**
 * How presence lies in Deno KV, for `presence.ts`: one entry per (room, user,
 * instance) under `["presence", room, userId, instanceId]`, expiring after
 * the TTL, and a guard per (room, user) that every change moves. Reads skip
 * entries older than the TTL, since KV deletes expired keys lazily.
 *
 * @module
 */
import type { Member } from "../chat/events.ts";
import { parseMember } from "../chat/parse_event.ts";
import { commitOrBusy, randomPause } from "./database.ts";

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

/** What {@linkcode PresenceEntries} reads and writes with. */
export interface PresenceEntriesOptions {
  /** The database. */
  kv: Promise<Deno.Kv>;
  /** This instance's id in its entries. */
  instanceId: string;
  /** Milliseconds an entry lives without being written again. */
  ttlMs: number;
  /** Clock in milliseconds since the Unix epoch. */
  now: () => number;
  /** When a local member got its current name in `room`, if known. */
  named: (room: string, user: string) => number | undefined;
}

/** This instance's presence entries, and reading every instance's. */
export class PresenceEntries {
  #kv: Promise<Deno.Kv>;
  #instanceId: string;
  #ttlMs: number;
  #now: () => number;
  #named: (room: string, user: string) => number | undefined;

  /** Reads and writes through `options.kv`. */
  constructor(options: PresenceEntriesOptions) {
    this.#kv = options.kv;
    this.#instanceId = options.instanceId;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now;
    this.#named = options.named;
  }

  /**
   * Users with a live entry in `room`, each once, in key order, under the
   * name set last over their instances' entries.
   */
  async *liveMembers(room: string): AsyncGenerator<Member> {
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

  /** How many names have a live entry in `room`. */
  async countLive(room: string): Promise<number> {
    let count = 0;
    for await (const _member of this.liveMembers(room)) count++;
    return count;
  }

  /**
   * Up to `limit` rooms with a live entry that `accept` takes, in name order:
   * the listing skips from each room's first entry to the next room's.
   */
  async rooms(
    limit: number,
    accept: (room: string) => boolean,
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
      const live = this.liveMembers(room);
      if (!(await live.next()).done) rooms.push(room);
      await live.return(undefined);
    }
    return rooms;
  }

  /**
   * Writes (join) or deletes (leave) this instance's entry for the user, and
   * tells whether no other live instance has the user, as of that commit.
   *
   * @throws {Error} When the guard keeps moving, or KV cannot be updated.
   */
  async update(
    room: string,
    member: Member,
    change: "join" | "leave",
  ): Promise<boolean> {
    const kv = await this.#kv;
    const user = member.id;
    const own: Deno.KvKey = ["presence", room, user, this.#instanceId];
    const guardKey: Deno.KvKey = ["presence_guard", room, user];
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      // The guard is read first: whatever changes the entries after this
      // read also moves the guard, and the commit's check then fails.
      const guard = await kv.get(guardKey);
      let others = 0;
      for await (
        const entry of kv.list<Entry>({ prefix: ["presence", room, user] })
      ) {
        if (entry.key[3] !== this.#instanceId && this.#live(entry.value)) {
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

  /** Writes this instance's entries for `members` again, as of now (the heartbeat). */
  async refresh(members: readonly [string, Member][]): Promise<void> {
    const ts = this.#now();
    await this.#inBatches(members, (atomic, room, member) => {
      atomic.set(
        ["presence", room, member.id, this.#instanceId],
        this.#entry(room, member, ts),
        { expireIn: this.#ttlMs },
      );
    });
  }

  /** Deletes this instance's entries for `members` (closing). */
  async remove(members: readonly [string, Member][]): Promise<void> {
    await this.#inBatches(members, (atomic, room, { id }) => {
      // Moving the guard makes a racing join or leave elsewhere re-read.
      atomic.delete(["presence", room, id, this.#instanceId])
        .set(["presence_guard", room, id], this.#now(), {
          expireIn: this.#ttlMs,
        });
    });
  }

  /** Commits `add` for each of `members`, {@linkcode BATCH_SIZE} per commit. */
  async #inBatches(
    members: readonly [string, Member][],
    add: (atomic: Deno.AtomicOperation, room: string, member: Member) => void,
  ): Promise<void> {
    const kv = await this.#kv;
    for (let i = 0; i < members.length; i += BATCH_SIZE) {
      const batch = members.slice(i, i + BATCH_SIZE);
      await commitWithRetry(() => {
        const atomic = kv.atomic();
        for (const [room, member] of batch) add(atomic, room, member);
        return atomic;
      });
    }
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
      named: this.#named(room, member.id) ?? ts,
    };
    if (member.guest) entry.guest = true;
    return entry;
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
