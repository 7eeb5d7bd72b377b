/**
 * Moderation's actions, whoever takes them (a moderator's request, the host
 * application's API call): each is stored and recorded, then sent on the
 * control channel so every instance acts on the user's connections at once.
 *
 * @module
 */
import type { ControlChannel, ControlEvent } from "./control.ts";
import type {
  ActionDraft,
  Actor,
  Ban,
  ModerationRecord,
  ModerationStore,
  RecordPage,
  RecordQuery,
} from "./moderation.ts";

/** Options for {@linkcode Moderator}. */
export interface ModeratorOptions {
  /** Where bans and the record are kept. */
  store: ModerationStore;
  /** Carries bans, kicks and disconnections to every instance. */
  control: ControlChannel;
  /**
   * Clock in milliseconds since the Unix epoch, which bans' durations count from.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

/** A ban to impose. */
export interface BanRequest {
  userId: string;
  /** The room; `null` for every room. */
  room: string | null;
  /** Milliseconds it lasts; absent for one without an end. */
  durationMs?: number;
  reason?: string;
}

/**
 * Takes moderation actions and tells every instance.
 *
 * @example A kick reaches the user's connections through the channel
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryControl } from "./control.ts";
 * import { MemoryModeration } from "./moderation.ts";
 * import { Moderator } from "./moderator.ts";
 *
 * await using control = new MemoryControl();
 * const heard: unknown[] = [];
 * using _ = control.listen({ event: (event) => heard.push(event) });
 * const moderator = new Moderator({ store: new MemoryModeration(), control });
 * await moderator.kick({ id: "mod", name: "Mo" }, { userId: "bo", room: "general" });
 * assert.deepEqual(heard, [{ type: "kick", userId: "bo", room: "general" }]);
 * ```
 */
export class Moderator {
  #store: ModerationStore;
  #control: ControlChannel;
  #now: () => number;

  /** Acts through `options.store` and `options.control`. */
  constructor(options: ModeratorOptions) {
    this.#store = options.store;
    this.#control = options.control;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Bans a user from a room or every room, replacing an earlier ban of that
   * scope, and takes them out of it on every instance.
   *
   * @returns The ban and its record.
   * @throws When the store or the channel cannot take it; retrying is safe.
   */
  async ban(
    by: Actor,
    request: BanRequest,
  ): Promise<{ ban: Ban; record: ModerationRecord }> {
    const { userId, room, durationMs, reason } = request;
    const until = durationMs === undefined ? null : this.#now() + durationMs;
    const stored = await this.#store.ban({
      userId,
      room,
      until,
      by,
      ...(reason === undefined ? {} : { reason }),
    });
    await this.#control.publish({ type: "ban", userId, room, until });
    return stored;
  }

  /**
   * Lifts a user's ban of one scope.
   *
   * @returns Its record, or `undefined` when there was none in force.
   */
  async unban(
    by: Actor,
    userId: string,
    room: string | null,
  ): Promise<ModerationRecord | undefined> {
    const record = await this.#store.unban(userId, room, by);
    if (record !== undefined) {
      await this.#control.publish({ type: "unban", userId, room });
    }
    return record;
  }

  /**
   * Takes a user out of a room on every instance now; they may join again.
   *
   * @returns Its record.
   */
  kick(
    by: Actor,
    request: { userId: string; room: string; reason?: string },
  ): Promise<ModerationRecord> {
    return this.#act(
      { action: "kick", by, ...request },
      { type: "kick", userId: request.userId, room: request.room },
    );
  }

  /**
   * Closes every connection of a user on every instance.
   *
   * @returns Its record.
   */
  disconnect(
    by: Actor,
    request: { userId: string; reason?: string },
  ): Promise<ModerationRecord> {
    return this.#act(
      { action: "disconnect", by, ...request },
      { type: "disconnect", userId: request.userId },
    );
  }

  /**
   * Records a change of someone else's message.
   *
   * @returns Its record.
   */
  recordChange(
    action: Pick<ActionDraft, "by" | "userId" | "room" | "messageId"> & {
      action: "edit" | "delete";
    },
  ): Promise<ModerationRecord> {
    return this.#store.record(action);
  }

  /** The ban that keeps `userId` out of `room` now, if any. */
  banOf(userId: string, room: string): Promise<Ban | undefined> {
    return this.#store.banOf(userId, room);
  }

  /** Up to `limit` bans in force in `room` (server-wide ones for `null`). */
  bans(room: string | null, limit: number): Promise<Ban[]> {
    return this.#store.bans(room, limit);
  }

  /** A page of the moderation record, newest first. */
  records(query: RecordQuery): Promise<RecordPage> {
    return this.#store.records(query);
  }

  async #act(
    draft: ActionDraft,
    event: ControlEvent,
  ): Promise<ModerationRecord> {
    const record = await this.#store.record(draft);
    await this.#control.publish(event);
    return record;
  }
}
