/**
 * The chat itself: stores each entry before publishing it (`room_writer.ts`),
 * keeps each room's log in one order, and tracks who is in which room
 * (joining in `join.ts`, announcing arrivals in `presence_announcer.ts`).
 *
 * @module
 */
import type { Broker } from "../broker.ts";
import type { Amended, Amendment } from "./amendments.ts";
import { listRooms, RoomDirectory, type RoomInfo } from "./directory.ts";
import type { Draft, History, HistoryPage, Stored } from "./history.ts";
import { type Joined, type JoinOptions, RoomJoiner } from "./join.ts";
import { fitPage } from "./pages.ts";
import type { Presence } from "./presence.ts";
import { PresenceAnnouncer } from "./presence_announcer.ts";
import {
  type Broadcast,
  type ChatMessage,
  type Member,
  presenceBroadcast,
  type TypingEvent,
} from "./events.ts";
import { RoomWriter } from "./room_writer.ts";

/** Options for {@linkcode Chat}. */
export interface ChatOptions {
  /** Carries events to subscribers. */
  broker: Broker<Broadcast>;
  /** Numbers and stores messages. */
  history: History;
  /** Tracks room members. */
  presence: Presence;
  /**
   * Subscribers (here) above which a room's arrivals and departures are not
   * announced by name but as a member count, once a second at most.
   *
   * @default {200}
   */
  largeRoom?: number;
  /**
   * Milliseconds a room's next batch of messages waits for more before it
   * is stored (see `RoomWriterOptions.commitWindowMs`).
   *
   * @default {0}
   */
  commitWindowMs?: number;
  /**
   * How often a large room's member count is published at most, in
   * milliseconds.
   *
   * @default {1000}
   */
  presenceIntervalMs?: number;
  /**
   * Most bytes of message JSON in one page of history (on joining, or a
   * `history` request): a larger page keeps its newest messages and says
   * `hasMore`, so no one reply grows with the messages' size.
   *
   * @default {1048576}
   */
  maxPageBytes?: number;
  /**
   * Most rooms {@linkcode Chat.directory} lists.
   *
   * @default {100}
   */
  directoryLimit?: number;
}

/**
 * Rooms of the chat. Messages of a room are stored in batches (group
 * commit) and published in id order, so every member sees one order.
 */
export class Chat implements Disposable {
  #broker: Broker<Broadcast>;
  #history: History;
  #presence: Presence;
  #writer: RoomWriter;
  #maxPageBytes: number;
  #announcer: PresenceAnnouncer;
  #joiner: RoomJoiner;
  #directory: RoomDirectory;

  /** Creates a chat over its broker, history and presence. */
  constructor(options: ChatOptions) {
    this.#broker = options.broker;
    this.#history = options.history;
    this.#presence = options.presence;
    this.#writer = new RoomWriter(options.broker, options.history, {
      commitWindowMs: options.commitWindowMs,
    });
    this.#maxPageBytes = options.maxPageBytes ?? 1_048_576;
    this.#announcer = new PresenceAnnouncer(options.broker, options.presence, {
      largeRoom: options.largeRoom,
      intervalMs: options.presenceIntervalMs,
    });
    this.#joiner = new RoomJoiner({
      broker: options.broker,
      history: options.history,
      presence: options.presence,
      announcer: this.#announcer,
      maxPageBytes: this.#maxPageBytes,
    });
    this.#directory = new RoomDirectory(
      { presence: options.presence, history: options.history },
      { limit: options.directoryLimit },
    );
  }

  /** Drops presence changes not yet announced; the broker closes separately. */
  [Symbol.dispose](): void {
    this.#announcer[Symbol.dispose]();
  }

  /**
   * Stores `text` from `user` in `room`, then publishes it.
   *
   * @param room Target room.
   * @param draft The sender, text and optional nonce.
   * @returns The stored message; `duplicate` when the nonce was seen, and then nothing is published.
   * @throws When the history cannot store it: the message was not posted.
   */
  post(room: string, draft: Draft): Promise<Stored> {
    return this.#writer.post(room, draft);
  }

  /**
   * Stores an edit or a deletion of a message in `room`, then publishes it.
   * Who may change it is the caller's to check first.
   *
   * @param room The message's room.
   * @param amendment What changes, who changes it, and an optional nonce.
   * @returns The stored entry; `duplicate` when the nonce was seen.
   * @throws {AmendmentRefusedError} When the message can no longer be changed.
   * @throws When the history cannot store it: nothing changed.
   */
  amend(room: string, amendment: Amendment): Promise<Amended> {
    return this.#writer.amend(room, amendment);
  }

  /**
   * The current state of a message, tombstone included.
   *
   * @param room Its room.
   * @param id Its id.
   * @returns The message, or `undefined` when the room does not keep it.
   */
  message(room: string, id: number): Promise<ChatMessage | undefined> {
    return this.#history.message(room, id);
  }

  /**
   * Tells the room's other members that someone is typing: never stored,
   * and not sent at all in a room larger than `largeRoom` here.
   *
   * @param event Who is typing where.
   * @param origin The typer's connection.
   * @returns Whether it was published.
   */
  async typing(event: TypingEvent, origin?: string): Promise<boolean> {
    if (this.#announcer.isLarge(event.room)) return false;
    await this.#broker.publish(event.room, presenceBroadcast(event, origin));
    return true;
  }

  /**
   * Subscribes to `room` (before anything else, so nothing is missed), marks
   * `user` present and reads the history to send first: see
   * {@linkcode RoomJoiner.join}.
   *
   * @param room The room.
   * @param member The joiner, as others see them.
   * @param options History wanted and subscription options.
   * @returns The subscription, members and history.
   */
  join(room: string, member: Member, options?: JoinOptions): Promise<Joined> {
    return this.#joiner.join(room, member, options);
  }

  /**
   * Up to `limit` users present in `room`, sorted by name.
   *
   * @param room The room.
   * @param limit Most members to read.
   * @returns The members.
   */
  members(room: string, limit?: number): Promise<Member[]> {
    return this.#presence.members(room, limit);
  }

  /**
   * The public rooms where someone is present, on any instance, for
   * clients to browse: see {@linkcode RoomDirectory}.
   *
   * @returns Up to `directoryLimit` rooms, busiest first.
   * @throws When a store cannot be read.
   */
  directory(): Promise<RoomInfo[]> {
    return this.#directory.list();
  }

  /**
   * Rooms of every kind (private and direct ones too) where someone is
   * present, on any instance, for the host application: see
   * {@linkcode listRooms}.
   *
   * @param limit Most rooms to list.
   * @returns The rooms, busiest first.
   * @throws When a store cannot be read.
   */
  rooms(limit: number): Promise<RoomInfo[]> {
    return listRooms(
      { presence: this.#presence, history: this.#history },
      { limit },
    );
  }

  /**
   * Marks one connection of `member` gone from `room` and tells the others
   * when it was the user's last.
   */
  async leave(room: string, member: Member): Promise<void> {
    if (await this.#presence.leave(room, member)) {
      await this.#announcer.announce(room, [], [member]);
    }
  }

  /**
   * Lists one connection's user under a new name in each of `rooms`, and
   * tells the others: a `joined` entry for a user already present is their
   * new name.
   */
  async rename(rooms: Iterable<string>, next: Member): Promise<void> {
    for (const room of rooms) {
      // Counted twice for a moment, so the user never looks gone.
      await this.#presence.join(room, next);
      await this.#presence.leave(room, next);
      await this.#announcer.announce(room, [next], []);
    }
  }

  /**
   * Up to `limit` messages of `room` before id `before`, in their current
   * state; with `since`, every entry (edits and deletions too) between the
   * two, to page back through what a resume missed.
   */
  async history(
    room: string,
    before: number,
    limit: number,
    since?: number,
  ): Promise<HistoryPage> {
    const page: HistoryPage = since === undefined
      ? await this.#history.before(room, before, limit)
      : await this.#history.resume(room, since, limit, before);
    return fitPage(page, this.#maxPageBytes);
  }
}
