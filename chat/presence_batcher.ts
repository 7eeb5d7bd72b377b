/**
 * Turns a large room's arrivals and departures into one member count per
 * interval.
 *
 * Announcing each arrival by name costs a delivery to every member, so a
 * room that n clients fill costs n²/2 deliveries and every member ends up
 * receiving every name: 15,000 joiners make over 100 million. A large room
 * instead gets its member count at most once an interval, which is how large
 * channels are kept in step elsewhere too (Centrifugo makes join and leave
 * events optional per channel; Discord and Slack show counts, not arrivals,
 * in big channels).
 *
 * @module
 */
import { log } from "../observability/log.ts";

/** Default for {@linkcode PresenceBatcherOptions.intervalMs}. */
export const DEFAULT_PRESENCE_INTERVAL_MS = 1000;

/** Options for {@linkcode PresenceBatcher}. */
export interface PresenceBatcherOptions {
  /**
   * How long changes are gathered, in milliseconds.
   *
   * @default {1000}
   */
  intervalMs?: number;
}

/** Publishes one room's member count. */
export type PublishCount = (room: string) => Promise<void>;

/**
 * Collects the rooms whose members changed and publishes each once when the
 * interval ends.
 *
 * @example Several changes, one publication
 * ```ts
 * import assert from "node:assert/strict";
 * import { PresenceBatcher } from "./presence_batcher.ts";
 *
 * const published: string[] = [];
 * using batcher = new PresenceBatcher(async (room) => {
 *   published.push(room);
 * }, { intervalMs: 60_000 });
 * batcher.add("general");
 * batcher.add("general");
 * await batcher.flush();
 * assert.deepEqual(published, ["general"]);
 * ```
 */
export class PresenceBatcher implements Disposable {
  readonly #publish: PublishCount;
  readonly #intervalMs: number;
  #rooms = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Creates a batcher; its timer runs only while a change waits.
   *
   * @param publish Called with each changed room; should not reject (a
   *   rejection is logged).
   * @param options The interval.
   */
  constructor(publish: PublishCount, options: PresenceBatcherOptions = {}) {
    this.#publish = publish;
    this.#intervalMs = options.intervalMs ?? DEFAULT_PRESENCE_INTERVAL_MS;
  }

  /** Whether a change of `room` is waiting. */
  has(room: string): boolean {
    return this.#rooms.has(room);
  }

  /** Marks `room` as changed: the next flush publishes its count. */
  add(room: string): void {
    this.#rooms.add(room);
    this.#timer ??= setTimeout(() => {
      this.flush().catch((error) =>
        log("error", "presence.publish_failed", { error })
      );
    }, this.#intervalMs);
  }

  /** Publishes every changed room now. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const rooms = this.#rooms;
    this.#rooms = new Set();
    await Promise.all([...rooms].map((room) => this.#publish(room)));
  }

  /** Stops the timer and drops what was gathered. */
  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#rooms.clear();
  }
}
