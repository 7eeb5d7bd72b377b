/**
 * The heartbeat of an instance's presence, for `presence.ts`: while the
 * instance has local connections it writes their entries again on an
 * interval, so they outlive the TTL; one beat at a time, and a failed beat
 * is left to the next.
 *
 * @module
 */
import { log } from "../observability/log.ts";
import type { ConnectionCounts } from "../chat/presence.ts";
import type { PresenceEntries } from "./_presence_entries.ts";

/** Options for {@linkcode PresenceHeartbeat}. */
export interface PresenceHeartbeatOptions {
  /** Milliseconds between beats. */
  intervalMs: number;
  /** The instance's local connections, whose (room, user) entries each beat refreshes. */
  counts: ConnectionCounts;
  /** Whether presence has closed, after which a beat still queued writes nothing. */
  closed: () => boolean;
}

/** Renews one instance's presence entries before they expire. */
export class PresenceHeartbeat {
  #entries: PresenceEntries;
  #intervalMs: number;
  #counts: ConnectionCounts;
  #closed: () => boolean;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The heartbeat in flight, which a leave waits for before deleting. */
  #beat: Promise<void> = Promise.resolve();

  /**
   * Refreshes `entries` once started; starting opens no timer by itself.
   *
   * @param entries The KV entries the beats write.
   * @param options Interval, local connections and whether presence closed.
   */
  constructor(entries: PresenceEntries, options: PresenceHeartbeatOptions) {
    this.#entries = entries;
    this.#intervalMs = options.intervalMs;
    this.#counts = options.counts;
    this.#closed = options.closed;
  }

  /** The beat in flight, settled when none is: a leave waits for it before deleting. */
  get inFlight(): Promise<void> {
    return this.#beat;
  }

  /** Beats every interval from now on, unless it does already. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      // One beat at a time: a slow one is not stacked with the next.
      this.#beat = this.#beat.then(() => this.#heartbeat());
    }, this.#intervalMs);
  }

  /** Stops beating; a beat in flight still finishes. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #heartbeat(): Promise<void> {
    const entries = this.#counts.entries();
    if (entries.length === 0 || this.#closed()) return;
    try {
      await this.#entries.refresh(entries);
    } catch (error) {
      // The next beat tries again; two may fail before the entries expire.
      log("debug", "presence.heartbeat_failed", { error });
    }
  }
}
