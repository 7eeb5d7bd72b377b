/**
 * Gathers a large room's arrivals and departures into one `presence` event
 * per interval.
 *
 * Announcing each arrival at once costs a delivery to every member, so a
 * room that n clients fill costs n²/2 deliveries: 15,000 joiners make over
 * 100 million. Gathered once a second, the same room costs a delivery per
 * member per second at most, which is how large channels are kept in step
 * elsewhere too (Phoenix Presence sends diffs, Centrifugo makes join and
 * leave events optional per channel).
 *
 * @module
 */
import { log } from "./log.ts";

/** Default for {@linkcode PresenceBatcherOptions.intervalMs}. */
export const DEFAULT_PRESENCE_INTERVAL_MS = 1000;

/** Options for {@linkcode PresenceBatcher}. */
export interface PresenceBatcherOptions {
  /**
   * How long arrivals and departures are gathered, in milliseconds.
   *
   * @default {1000}
   */
  intervalMs?: number;
}

/** Publishes one room's gathered change. */
export type PublishPresence = (
  room: string,
  joined: string[],
  left: string[],
) => Promise<void>;

interface Change {
  joined: Set<string>;
  left: Set<string>;
}

/**
 * Collects names per room and publishes each room's net change (sorted) when
 * the interval ends: a name that arrives and leaves within it is not
 * announced at all.
 *
 * @example Arrivals gathered into one event
 * ```ts
 * import assert from "node:assert/strict";
 * import { PresenceBatcher } from "./presence_batcher.ts";
 *
 * const published: unknown[] = [];
 * using batcher = new PresenceBatcher(async (room, joined, left) => {
 *   published.push({ room, joined, left });
 * }, { intervalMs: 60_000 });
 * batcher.add("general", ["Grace"], []);
 * batcher.add("general", ["Ada"], []);
 * await batcher.flush();
 * assert.deepEqual(published, [
 *   { room: "general", joined: ["Ada", "Grace"], left: [] },
 * ]);
 * ```
 */
export class PresenceBatcher implements Disposable {
  readonly #publish: PublishPresence;
  readonly #intervalMs: number;
  #changes = new Map<string, Change>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Creates a batcher; its timer runs only while a change waits.
   *
   * @param publish Called with each room's change; its errors are the caller's to handle.
   * @param options The interval.
   */
  constructor(publish: PublishPresence, options: PresenceBatcherOptions = {}) {
    this.#publish = publish;
    this.#intervalMs = options.intervalMs ?? DEFAULT_PRESENCE_INTERVAL_MS;
  }

  /** Whether a change of `room` is waiting. */
  has(room: string): boolean {
    return this.#changes.has(room);
  }

  /** Adds arrivals and departures of `room` to what the next flush publishes. */
  add(room: string, joined: readonly string[], left: readonly string[]): void {
    let change = this.#changes.get(room);
    if (!change) {
      this.#changes.set(room, change = { joined: new Set(), left: new Set() });
    }
    // A departure cancels a gathered arrival and the other way round: the
    // members saw neither.
    for (const name of left) {
      if (!change.joined.delete(name)) change.left.add(name);
    }
    for (const name of joined) {
      if (!change.left.delete(name)) change.joined.add(name);
    }
    this.#timer ??= setTimeout(() => {
      this.flush().catch((error) =>
        log("error", "presence.publish_failed", { error })
      );
    }, this.#intervalMs);
  }

  /** Publishes every gathered change now. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const changes = this.#changes;
    this.#changes = new Map();
    const published = [];
    for (const [room, { joined, left }] of changes) {
      if (joined.size === 0 && left.size === 0) continue;
      published.push(this.#publish(room, [...joined].sort(), [...left].sort()));
    }
    await Promise.all(published);
  }

  /** Stops the timer and drops what was gathered. */
  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#changes.clear();
  }
}
