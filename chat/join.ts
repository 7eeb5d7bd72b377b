/**
 * A member's join of a room: subscribes first (so nothing is missed), marks
 * the member present, announces them, and reads the members and the history
 * to send before the live events.
 *
 * @module
 */
import type { Broker, SubscribeOptions, Subscription } from "../broker.ts";
import type { Broadcast, Member } from "./events.ts";
import type { History, HistoryPage } from "./history.ts";
import { fitPage } from "./pages.ts";
import type { Presence } from "./presence.ts";
import type { PresenceAnnouncer } from "./presence_announcer.ts";

/** Options for {@linkcode RoomJoiner.join}. */
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

/** What {@linkcode RoomJoiner} joins with. */
export interface JoinContext {
  /** Carries the room's live events. */
  broker: Broker<Broadcast>;
  /** Reads the history sent on joining. */
  history: History;
  /** Tracks room members. */
  presence: Presence;
  /** Tells the room of the arrival. */
  announcer: PresenceAnnouncer;
  /** Most bytes of message JSON in the history sent on joining. */
  maxPageBytes: number;
}

/** Joins members to rooms: see {@linkcode RoomJoiner.join}. */
export class RoomJoiner {
  #broker: Broker<Broadcast>;
  #history: History;
  #presence: Presence;
  #announcer: PresenceAnnouncer;
  #maxPageBytes: number;

  /**
   * Creates a joiner over the chat's stores.
   *
   * @param context The broker, history, presence and announcer.
   */
  constructor(context: JoinContext) {
    this.#broker = context.broker;
    this.#history = context.history;
    this.#presence = context.presence;
    this.#announcer = context.announcer;
    this.#maxPageBytes = context.maxPageBytes;
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
        await this.#announcer.announce(room, [member], [], origin);
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
}
