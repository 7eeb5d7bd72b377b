/**
 * Tells a room who came and went: by name at once, or in a large room as the
 * member count a {@linkcode PresenceBatcher} publishes at most once an
 * interval.
 *
 * @module
 */
import { type Broker, BrokerClosedError } from "../broker.ts";
import { log } from "../observability/log.ts";
import {
  type Broadcast,
  type Member,
  presenceBroadcast,
  type PresenceEvent,
} from "./events.ts";
import type { Presence } from "./presence.ts";
import { PresenceBatcher } from "./presence_batcher.ts";

/** Options for {@linkcode PresenceAnnouncer}. */
export interface PresenceAnnouncerOptions {
  /**
   * Subscribers (here) above which a room's arrivals and departures are not
   * announced by name but as a member count.
   *
   * @default {200}
   */
  largeRoom?: number;
  /**
   * How often a large room's member count is published at most, in
   * milliseconds.
   *
   * @default {1000}
   */
  intervalMs?: number;
}

/**
 * Announces arrivals and departures of a room's members through the broker.
 *
 * @example A small room hears a name, a large one a count
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryBroker } from "../broker.ts";
 * import type { Broadcast } from "./events.ts";
 * import { MemoryPresence } from "./presence.ts";
 * import { PresenceAnnouncer } from "./presence_announcer.ts";
 *
 * await using broker = new MemoryBroker<Broadcast>();
 * await using presence = new MemoryPresence();
 * using announcer = new PresenceAnnouncer(broker, presence, { largeRoom: 0 });
 * const ada = { id: "u1", name: "Ada" };
 * assert.equal(await announcer.announce("general", [ada], []), true);
 * const sub = broker.subscribe("general");
 * assert.equal(announcer.isLarge("general"), true);
 * assert.equal(await announcer.announce("general", [ada], []), false);
 * await sub.return();
 * ```
 */
export class PresenceAnnouncer implements Disposable {
  #broker: Broker<Broadcast>;
  #largeRoom: number;
  #batcher: PresenceBatcher;

  /**
   * Creates an announcer over the broker it publishes through and the
   * presence it counts members with.
   *
   * @param broker Carries the `presence` events.
   * @param presence Counts a large room's members.
   * @param options When a room is large, and how often its count goes out.
   */
  constructor(
    broker: Broker<Broadcast>,
    presence: Presence,
    options: PresenceAnnouncerOptions = {},
  ) {
    this.#broker = broker;
    this.#largeRoom = options.largeRoom ?? 200;
    this.#batcher = new PresenceBatcher(
      async (room) => {
        try {
          const memberCount = await presence.count(room);
          await this.#publish({
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
      { intervalMs: options.intervalMs },
    );
  }

  /** Drops changes not yet announced; the broker closes separately. */
  [Symbol.dispose](): void {
    this.#batcher[Symbol.dispose]();
  }

  /**
   * Whether `room` has more subscribers here than `largeRoom`.
   *
   * @param room The room.
   * @returns Whether it is large.
   */
  isLarge(room: string): boolean {
    return this.#broker.subscriberCount(room) > this.#largeRoom;
  }

  /**
   * Announces arrivals and departures by name at once or, in a large room (or
   * one with a count already due, to keep the order), as the member count
   * the next batch publishes.
   *
   * @param room The room.
   * @param joined Who arrived (or took a new name).
   * @param left Who left.
   * @param origin The connection that caused it, which skips its own event.
   * @returns Whether it was published now.
   * @throws When the broker cannot publish (a closed broker is not an error).
   */
  async announce(
    room: string,
    joined: Member[],
    left: Member[],
    origin?: string,
  ): Promise<boolean> {
    if (this.#batcher.has(room) || this.isLarge(room)) {
      this.#batcher.add(room);
      return false;
    }
    await this.#publish({ type: "presence", room, joined, left }, origin);
    return true;
  }

  async #publish(event: PresenceEvent, origin?: string): Promise<void> {
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
