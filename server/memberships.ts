/**
 * A connection's rooms: the feed of each room it is in, leaving them, and
 * being taken out of them by moderation (a ban or a kick), with what the
 * client is told. The bans it was told of are remembered (`ban_marks.ts`),
 * so requests for those rooms are refused as `banned`.
 *
 * @module
 */
import type { Chat } from "../chat/chat.ts";
import type { ControlEvent } from "../chat/control.ts";
import type { Member } from "../chat/events.ts";
import type { Moderator } from "../chat/moderator.ts";
import { log } from "../observability/log.ts";
import { BanMarks } from "./ban_marks.ts";
import { CloseCode, ProtocolError } from "./protocol.ts";
import type { ConnectionContext } from "./connection_context.ts";
import { RoomFeed } from "./room_feed.ts";

/** Options for {@linkcode Memberships}. */
export interface MembershipsOptions {
  /** The connection's id, for logs. */
  connectionId: string;
  /** What the connection's parts share: its socket writer, and how to end it. */
  feeds: ConnectionContext;
  /** Where rooms are left. */
  chat: Chat;
  /** Reads bans from the store. */
  moderator: Moderator;
  /** The current time in milliseconds, which bans end by. */
  now: () => number;
}

/** The rooms of one connection. */
export class Memberships {
  #options: MembershipsOptions;
  #rooms = new Map<string, RoomFeed>();
  #bans: BanMarks;

  /** No rooms yet. */
  constructor(options: MembershipsOptions) {
    this.#options = options;
    this.#bans = new BanMarks(options.now);
  }

  /** How many rooms the connection is in (or joining). */
  get size(): number {
    return this.#rooms.size;
  }

  /** Whether the connection is in (or joining) `room`. */
  has(room: string): boolean {
    return this.#rooms.has(room);
  }

  /** The rooms with their feeds, as they are now. */
  entries(): [string, RoomFeed][] {
    return [...this.#rooms];
  }

  /**
   * Starts a feed for `room`, present as `member`.
   *
   * @returns The feed, which the join starts.
   */
  add(room: string, member: Member): RoomFeed {
    const feed = new RoomFeed(this.#options.feeds, member);
    this.#rooms.set(room, feed);
    return feed;
  }

  /** Forgets a join that did not complete: `feed` is the room's only if it still is. */
  abandon(room: string, feed: RoomFeed): void {
    if (this.#rooms.get(room) === feed) this.#rooms.delete(room);
    feed.end();
  }

  /** Leaves `room`, telling its members once the join had completed. */
  drop(room: string): void {
    const feed = this.#rooms.get(room);
    if (!feed) return;
    this.#rooms.delete(room);
    feed.end();
    // A join still in flight undoes its own presence when it completes.
    if (!feed.ready) return;
    this.#options.chat.leave(room, feed.member).catch((error) =>
      log("error", "room.leave_failed", {
        id: this.#options.connectionId,
        room,
        error,
      })
    );
  }

  /** Leaves every room; once, when the connection ends. */
  end(): void {
    for (const room of [...this.#rooms.keys()]) this.drop(room);
  }

  /**
   * Acts on a ban, an unban or a kick of this connection's user: a ban or a
   * kick takes it out of the room (every room for a server-wide ban) with
   * `left`, or closes a plain-text connection, which has only the one room.
   *
   * @param event The event, for this connection's user.
   */
  control(event: Exclude<ControlEvent, { type: "disconnect" }>): void {
    if (event.type === "unban") {
      this.#bans.remove(event.room);
      return;
    }
    if (event.type === "ban") this.#bans.add(event.room, event.until);
    const reason = event.type === "ban" ? "banned" : "kicked";
    for (const room of [...this.#rooms.keys()]) {
      if (event.room === null || event.room === room) this.#expel(room, reason);
    }
  }

  /**
   * Takes the connection out of every room the store says `userId` is
   * banned from now: the control channel may have missed the ban.
   */
  async recheck(userId: string): Promise<void> {
    for (const room of [...this.#rooms.keys()]) {
      const ban = await this.#options.moderator.banOf(userId, room);
      if (ban === undefined || !this.#rooms.has(room)) continue;
      this.#bans.add(ban.room, ban.until);
      this.#expel(room, "banned");
    }
  }

  /**
   * Why a request for `room` is refused because of a ban the connection
   * was told of, if it is.
   *
   * @param room The room the request names.
   * @param nonce The request's nonce.
   * @returns The `banned` refusal, or `undefined`.
   */
  banned(room: string, nonce?: string): ProtocolError | undefined {
    const until = this.#bans.until(room);
    return until === undefined ? undefined : bannedError(room, until, nonce);
  }

  #expel(room: string, reason: "banned" | "kicked"): void {
    const { feeds } = this.#options;
    if (feeds.writer.mode === "plain") {
      feeds.close(
        reason === "banned" ? CloseCode.banned : CloseCode.kicked,
        reason === "banned" ? "Banned from the room" : "Kicked out of the room",
      );
      return;
    }
    this.drop(room);
    feeds.writer.reply({ type: "left", room, reason });
  }
}

/**
 * The refusal of a request for a room the user is banned from.
 *
 * @param room The room.
 * @param until When the ban ends; `null` when it has no end.
 * @param nonce The request's nonce.
 * @returns The `banned` error.
 */
export function bannedError(
  room: string,
  until: number | null,
  nonce?: string,
): ProtocolError {
  return new ProtocolError(
    "banned",
    `Cannot use room: banned from "${room}" ${
      until === null ? "with no end" : `until ${new Date(until).toISOString()}`
    }`,
    nonce,
  );
}
