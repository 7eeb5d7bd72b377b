/**
 * The head each room's writes number from, for `history.ts`: cached after a
 * commit, so a busy room's next batch reads nothing before it commits, and
 * forgotten when a commit loses a race to another writer or a read finds
 * another epoch; a lost race pauses longer each attempt before the writer
 * retries.
 *
 * @module
 */
import type { RoomPosition } from "../chat/history.ts";
import { type Head, readPosition } from "./_position.ts";
import { commitOrBusy, randomPause } from "./database.ts";

/** Attempts at an append whose head changed under it (another writer) before giving up. */
export const MAX_COMMIT_ATTEMPTS = 50;
/** Cap, in milliseconds, of the pause between attempts, which grows with each lost race. */
const MAX_RETRY_PAUSE_MS = 200;
/** Longest random pause, in milliseconds, before retrying a commit that lost a race. */
const RETRY_PAUSE_MS = 20;

/** Each room's head as this writer last committed or read it. */
export class RoomHeads {
  #heads = new Map<string, Head>();

  /**
   * The room's cached head, or its position read and cached.
   *
   * @param kv The database.
   * @param room The room.
   * @returns The head the room's next write numbers from.
   */
  async get(kv: Deno.Kv, room: string): Promise<Head> {
    const cached = this.#heads.get(room);
    if (cached) return cached;
    const head = await this.read(kv, room);
    this.#heads.set(room, head);
    return head;
  }

  /**
   * Reads the room's position (`_position.ts`), forgetting a cached head of
   * another epoch.
   *
   * @param kv The database.
   * @param room The room.
   * @param seen Where the caller saw the log last, if anywhere.
   * @returns The head and epoch, with their versionstamps.
   */
  async read(kv: Deno.Kv, room: string, seen?: RoomPosition): Promise<Head> {
    const head = await readPosition(kv, room, seen);
    if (this.#heads.get(room)?.epoch !== head.epoch) this.#heads.delete(room);
    return head;
  }

  /**
   * Commits a write numbered from `head` up to `lastId`; on a lost race,
   * forgets the cached head and pauses before the caller retries.
   *
   * @param room The room.
   * @param head The head the write numbered from.
   * @param lastId The room's last id once committed.
   * @param atomic The write.
   * @param attempt How many times the write was tried, this one included.
   * @returns Whether the write was committed.
   * @throws After {@linkcode MAX_COMMIT_ATTEMPTS} lost races.
   */
  async commit(
    room: string,
    head: Head,
    lastId: number,
    atomic: Deno.AtomicOperation,
    attempt: number,
  ): Promise<boolean> {
    const commit = await commitOrBusy(atomic);
    if (commit.ok) {
      this.stored(room, head, lastId, commit.versionstamp);
      return true;
    }
    this.forget(room);
    await lostRace(room, attempt);
    return false;
  }

  /** Caches the head a commit numbered up to `lastId` left. */
  stored(
    room: string,
    head: Head,
    lastId: number,
    versionstamp: string,
  ): void {
    this.#heads.set(room, { ...head, lastId, versionstamp });
  }

  /** Forgets the room's cached head, which another writer may have moved. */
  forget(room: string): void {
    this.#heads.delete(room);
  }
}

/**
 * Pauses after a commit lost a race to another writer, longer with each
 * attempt, so racing writers spread out.
 *
 * @param room The room written.
 * @param attempt How many times the write was tried.
 * @throws After {@linkcode MAX_COMMIT_ATTEMPTS} attempts.
 */
export async function lostRace(room: string, attempt: number): Promise<void> {
  await randomPause(Math.min(RETRY_PAUSE_MS * attempt, MAX_RETRY_PAUSE_MS));
  if (attempt >= MAX_COMMIT_ATTEMPTS) {
    throw new Error(
      `Cannot store entries: room "${room}" changed under ${attempt} attempts`,
    );
  }
}
