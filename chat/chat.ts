/**
 * The chat itself: stores each entry before publishing it (`room_writer.ts`),
 * keeps each room's log in one order, and tracks who is in which room.
 *
 * @module
 */
import {
  type Broker,
  BrokerClosedError,
  type SubscribeOptions,
  type Subscription,
} from "../broker.ts";
import type { Amended, Amendment } from "./amendments.ts";
import { listRooms, RoomDirectory, type RoomInfo } from "./directory.ts";
import type { Draft, History, HistoryPage, Stored } from "./history.ts";
import { fitPage } from "./pages.ts";
import { log } from "../observability/log.ts";
import type { Presence } from "./presence.ts";
import { PresenceBatcher } from "./presence_batcher.ts";
import {
  type Broadcast,
  type ChatMessage,
  type Member,
  presenceBroadcast,
  type PresenceEvent,
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

/** Options for {@linkcode Chat.join}. */
export interface JoinOptions extends SubscribeOptions<Broadcast> {
  /**
   * History to send: the latest `historyLimit` messages after this id, or
   * the latest `historyLimit` when absent; `false` for none (plain-text
   * clients).
   */
  since?: number | false;
  /**
   * The epoch `since` belongs to, as the joiner last saw it. When the room
   * is under another epoch now, `since` means nothing: the history is the
   * latest `historyLimit`, marked `truncated`.
   */
  epoch?: string;
  /**
   * Most messages of history sent on joining, with or without `since`.
   *
   * @default {100}
   */
  historyLimit?: number;
  /** Id of the joining connection; its own arrival is marked with it so it can skip it. */
  origin?: string;
  /**
   * Whether to read the member list; plain-text clients never see it, and
   * reading it costs each join time and memory in proportion to the room.
   *
   * @default {true}
   */
  members?: boolean;
  /**
   * Most members to read: a large room's list is not read whole on every join.
   *
   * @default {Infinity}
   */
  memberLimit?: number;
}

/** What a member gets on joining a room. */
export interface Joined {
  /** Live events of the room, queued from before the history was read. */
  subscription: Subscription<Broadcast>;
  /** Users present, the joiner included; at most `memberLimit` of them. */
  members: Member[];
  /** How many users are present, listed or not. */
  memberCount: number;
  /** History up to the moment of joining; its epoch is `""` when none was read (`since: false`). */
  history: HistoryPage;
  /** Live messages with ids up to this one are already in `history`: skip them. */
  lastHistoryId: number;
  /**
   * Whether the joiner's arrival was announced by name, marked with its
   * `origin`; in a large room only the member count follows.
   */
  announced: boolean;
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
  #largeRoom: number;
  #maxPageBytes: number;
  #presenceBatcher: PresenceBatcher;
  #directory: RoomDirectory;

  /** Creates a chat over its broker, history and presence. */
  constructor(options: ChatOptions) {
    this.#broker = options.broker;
    this.#history = options.history;
    this.#presence = options.presence;
    this.#writer = new RoomWriter(options.broker, options.history, {
      commitWindowMs: options.commitWindowMs,
    });
    this.#largeRoom = options.largeRoom ?? 200;
    this.#maxPageBytes = options.maxPageBytes ?? 1_048_576;
    this.#directory = new RoomDirectory(
      { presence: options.presence, history: options.history },
      { limit: options.directoryLimit },
    );
    this.#presenceBatcher = new PresenceBatcher(
      async (room) => {
        try {
          const memberCount = await this.#presence.count(room);
          await this.#publishPresence({
            type: "presence",
            room,
            joined: [],
            left: [],
            memberCount,
          });
        } catch (error) {
          log("warn", "presence.publish_failed", { room, error });
        }
      },
      { intervalMs: options.presenceIntervalMs },
    );
  }

  /** Drops presence changes not yet announced; the broker closes separately. */
  [Symbol.dispose](): void {
    this.#presenceBatcher[Symbol.dispose]();
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
    if (this.#broker.subscriberCount(event.room) > this.#largeRoom) {
      return false;
    }
    await this.#broker.publish(event.room, presenceBroadcast(event, origin));
    return true;
  }

  /**
   * Subscribes to `room` (before anything else, so nothing is missed), marks
   * `user` present and reads the history to send first.
   *
   * @param room The room.
   * @param member The joiner, as others see them.
   * @param options History wanted and subscription options.
   * @returns The subscription, members and history.
   */
  async join(
    room: string,
    member: Member,
    options: JoinOptions = {},
  ): Promise<Joined> {
    const {
      since,
      epoch,
      historyLimit = 100,
      origin,
      members: withMembers = true,
      memberLimit,
      ...subscribeOptions
    } = options;
    const subscription = this.#broker.subscribe(room, subscribeOptions);
    let present = false;
    try {
      // The history read below must start where live delivery starts.
      await this.#broker.ready?.(room);
      const arrived = await this.#presence.join(room, member);
      present = true;
      const announced = arrived &&
        await this.#announce(room, [member], [], origin);
      const [[members, memberCount], history] = await Promise.all([
        withMembers
          ? this.#roster(room, memberLimit)
          : [[] as Member[], 0] as const,
        this.#readHistory(room, since, epoch, historyLimit)
          .then((page) => fitPage(page, this.#maxPageBytes)),
      ]);
      const lastHistoryId = history.messages.at(-1)?.id ?? 0;
      return {
        subscription,
        members,
        memberCount,
        history,
        lastHistoryId,
        announced,
      };
    } catch (error) {
      await subscription.return();
      if (present) {
        await this.#presence.leave(room, member).catch(() => false);
      }
      throw error;
    }
  }

  /** The history a joiner gets: see {@linkcode JoinOptions.since}. */
  async #readHistory(
    room: string,
    since: number | false | undefined,
    epoch: string | undefined,
    limit: number,
  ): Promise<HistoryPage> {
    if (since === false) {
      return { messages: [], hasMore: false, truncated: false, epoch: "" };
    }
    if (since === undefined) return await this.#history.latest(room, limit);
    const page = await this.#history.resume(room, since, limit);
    if (epoch === undefined || page.epoch === epoch) return page;
    // The ids the joiner has belong to an epoch the store no longer has.
    return { ...await this.#history.latest(room, limit), truncated: true };
  }

  /** Up to `limit` users present in `room`, and how many there are in all. */
  async #roster(
    room: string,
    limit = Infinity,
  ): Promise<readonly [Member[], number]> {
    const members = await this.#presence.members(
      room,
      Number.isFinite(limit) ? limit : undefined,
    );
    // Only a full page can hide more members.
    const count = members.length < limit
      ? members.length
      : await this.#presence.count(room);
    return [members, count];
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
      await this.#announce(room, [], [member]);
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
      await this.#announce(room, [next], []);
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

  /**
   * Announces arrivals and departures by name at once or, in a large room (or
   * one with a count already due, to keep the order), as the member count
   * the next batch publishes.
   *
   * @returns Whether it was published now.
   */
  async #announce(
    room: string,
    joined: Member[],
    left: Member[],
    origin?: string,
  ): Promise<boolean> {
    if (
      this.#presenceBatcher.has(room) ||
      this.#broker.subscriberCount(room) > this.#largeRoom
    ) {
      this.#presenceBatcher.add(room);
      return false;
    }
    await this.#publishPresence(
      { type: "presence", room, joined, left },
      origin,
    );
    return true;
  }

  async #publishPresence(event: PresenceEvent, origin?: string): Promise<void> {
    try {
      await this.#broker.publish(event.room, presenceBroadcast(event, origin));
    } catch (error) {
      // During shutdown every connection leaves after the broker has closed:
      // there is nobody left to tell.
      if (error instanceof BrokerClosedError) return;
      throw error;
    }
  }
}
