/**
 * In-order delivery of each room's messages to this process's subscribers
 * when messages arrive from a transport that may reorder or drop them
 * (Redis pub/sub between instances, Deno KV watches between isolates).
 *
 * The stored log is the truth: a message whose id is the next one is
 * delivered at once; a gap is filled by reading the log after the last
 * delivered id; ids already delivered are dropped. Presence events (id
 * `null`) pass straight through. The last delivered id is kept per room only
 * while the room has local subscribers.
 *
 * @module
 */
import {
  MemoryBroker,
  type SubscribeOptions,
  type Subscription,
} from "../broker.ts";
import { BusMetrics } from "./bus_metrics.ts";
import type { LogPage, RoomLog } from "./history.ts";
import { log } from "../observability/log.ts";
import { type Broadcast, broadcastOf } from "./events.ts";

/** Options for {@linkcode RoomSequencer}. */
export interface RoomSequencerOptions {
  /** Called when a room gets its first local subscriber; awaited before the room's head is read. */
  onActivate?: (room: string) => Promise<void> | void;
  /** Called when a room's last local subscriber is gone. */
  onDeactivate?: (room: string) => void;
  /**
   * Milliseconds between checks of every active room's head, which deliver
   * messages whose notification was lost (0 turns the check off).
   *
   * @default {2000}
   */
  sweepIntervalMs?: number;
  /**
   * Milliseconds a catch-up waits for local subscribers to take its last
   * page before it sends the next one anyway: a subscriber that takes
   * nothing for that long is stalled, and must not hold the room up for the
   * others (its queue overflows and it is cut off, as live traffic would do).
   *
   * @default {1000}
   */
  catchUpStallMs?: number;
  /**
   * Where catch-ups from the log and dropped events are counted.
   *
   * @default {new BusMetrics()}
   */
  metrics?: BusMetrics;
}

/** Default for {@linkcode RoomSequencerOptions.sweepIntervalMs}. */
export const DEFAULT_SWEEP_INTERVAL_MS = 2000;
/** Messages read from the log at a time when catching up. */
export const CATCH_UP_PAGE = 100;
/** Default for {@linkcode RoomSequencerOptions.catchUpStallMs}. */
export const DEFAULT_CATCH_UP_STALL_MS = 1000;
/**
 * Messages kept per room while they wait for a gap before them to be read
 * from the log; later ones are read from the log too, so a long catch-up
 * under traffic does not hold the room's whole traffic in memory.
 */
const MAX_PENDING = 10 * CATCH_UP_PAGE;

class RoomState {
  /** Last id delivered to local subscribers. */
  last = 0;
  initialised = false;
  failed = false;
  ready: Promise<void> = Promise.resolve();
  /** Messages that arrived ahead of a gap, or before the head was known. */
  pending = new Map<number, Broadcast>();
  fetching = false;
  fetchAgain = false;
}

/**
 * Delivers each room's messages in id order to local subscribers, filling
 * gaps from the room's log.
 *
 * @example Out-of-order arrivals come out in order
 * ```ts
 * import assert from "node:assert/strict";
 * import { RoomSequencer } from "./room_sequencer.ts";
 * import { broadcastOf } from "./events.ts";
 *
 * const message = (id: number) => ({ type: "message" as const, id, room: "r", ts: 0, user: "u", text: `m${id}` });
 * const stored = [message(1), message(2)];
 * const log = {
 *   head: () => Promise.resolve(0),
 *   after: (_room: string, since: number, limit: number) => {
 *     const messages = stored.filter((m) => m.id > since).slice(0, limit);
 *     return Promise.resolve({ messages, head: 2, through: messages.at(-1)?.id ?? since });
 *   },
 * };
 * await using sequencer = new RoomSequencer(log, { sweepIntervalMs: 0 });
 * const subscription = sequencer.subscribe("r");
 * await sequencer.ready("r");
 * sequencer.receive("r", broadcastOf(message(2)));
 * sequencer.receive("r", broadcastOf(message(1)));
 * const ids = [];
 * while (ids.length < 2) ids.push(...(await subscription.next()).value!.map((b) => b.id));
 * assert.deepEqual(ids, [1, 2]);
 * await subscription.return();
 * ```
 */
export class RoomSequencer implements AsyncDisposable {
  #local = new MemoryBroker<Broadcast>();
  #log: RoomLog;
  #options: RoomSequencerOptions;
  #metrics: BusMetrics;
  #rooms = new Map<string, RoomState>();
  /** Reads of the log in flight, which close() waits for. */
  #running = new Set<Promise<void>>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /** Reads gaps from `log`; starts the periodic check unless turned off. */
  constructor(log: RoomLog, options: RoomSequencerOptions = {}) {
    this.#log = log;
    this.#options = options;
    this.#metrics = options.metrics ?? new BusMetrics();
    const interval = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    if (interval > 0) {
      this.#timer = setInterval(() => this.sweep(), interval);
    }
  }

  /** Subscribes locally; the room becomes active (its head is read) if it was not. */
  subscribe(
    room: string,
    options: SubscribeOptions = {},
  ): Subscription<Broadcast> {
    const subscription = this.#local.subscribe(room, options);
    if (!this.#rooms.has(room)) {
      const state = new RoomState();
      this.#rooms.set(room, state);
      this.#initialise(room, state);
    }
    options.signal?.addEventListener("abort", () => this.#release(room), {
      once: true,
    });
    return subscription;
  }

  /**
   * Resolves once the room's starting point is known, so that every message
   * stored from then on reaches the subscriptions made before this call.
   *
   * @throws When the room's head cannot be read (the log is unreachable).
   */
  ready(room: string): Promise<void> {
    const state = this.#rooms.get(room);
    if (!state) return Promise.resolve();
    if (state.failed) this.#initialise(room, state);
    return state.ready;
  }

  /** Takes one event from the transport; see the module notes for the rules. */
  receive(room: string, broadcast: Broadcast): void {
    const state = this.#rooms.get(room);
    if (!state || this.#closed) return;
    if (broadcast.id === null) {
      this.#deliver(room, broadcast);
      return;
    }
    if (state.initialised && broadcast.id <= state.last) return;
    if (state.pending.size >= MAX_PENDING) {
      if (state.initialised) this.#fetch(room, state);
      return;
    }
    state.pending.set(broadcast.id, broadcast);
    if (state.initialised) this.#flush(room, state);
  }

  /** Tells that the room's log reaches `head`; reads what is missing. */
  headChanged(room: string, head: number): void {
    const state = this.#rooms.get(room);
    if (state?.initialised && head > state.last) this.#fetch(room, state);
  }

  /** Reads every active room's log after its last delivered id (after a reconnect). */
  catchUp(): void {
    for (const [room, state] of this.#rooms) {
      if (state.initialised) this.#fetch(room, state);
      else if (state.failed) this.#initialise(room, state);
    }
  }

  /** Compares each active room's head with what was delivered; drops rooms nobody watches. */
  async sweep(): Promise<void> {
    for (const [room, state] of [...this.#rooms]) {
      if (this.#local.subscriberCount(room) === 0) {
        this.#release(room);
        continue;
      }
      if (!state.initialised) {
        if (state.failed) this.#initialise(room, state);
        continue;
      }
      try {
        this.headChanged(room, await this.#log.head(room));
      } catch (error) {
        log("debug", "sequencer.sweep_failed", { room, error });
      }
    }
  }

  /** Rooms with local subscribers. */
  get activeRooms(): string[] {
    return [...this.#rooms.keys()];
  }

  /** Current local subscribers of `room`, or of every room. */
  subscriberCount(room?: string): number {
    return this.#local.subscriberCount(room);
  }

  /** Ends every subscription and the periodic check; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const room of this.#rooms.keys()) this.#options.onDeactivate?.(room);
    this.#rooms.clear();
    await this.#local.close();
    await Promise.all(this.#running);
  }

  /** Same as {@linkcode RoomSequencer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #initialise(room: string, state: RoomState): void {
    state.failed = false;
    state.ready = (async () => {
      await this.#options.onActivate?.(room);
      const head = await this.#log.head(room);
      if (this.#rooms.get(room) !== state) return;
      state.last = head;
      state.initialised = true;
      this.#flush(room, state);
    })();
    state.ready.catch((error) => {
      state.failed = true;
      log("warn", "sequencer.init_failed", { room, error });
    });
  }

  /** Delivers pending messages that follow the last one; a gap starts a read of the log. */
  #flush(room: string, state: RoomState): void {
    for (const id of state.pending.keys()) {
      if (id <= state.last) state.pending.delete(id);
    }
    let next: Broadcast | undefined;
    while ((next = state.pending.get(state.last + 1)) !== undefined) {
      state.pending.delete(state.last + 1);
      state.last++;
      this.#deliver(room, next);
    }
    if (state.pending.size > 0) this.#fetch(room, state);
  }

  /**
   * Reads the log after the last delivered id, a page at a time, and
   * delivers it in order; one read per room at a time. Each page waits until
   * local subscribers have taken the last one, so a long catch-up (after
   * the subscription dropped) does not overflow their queues at once.
   */
  #fetch(room: string, state: RoomState): void {
    if (state.fetching) {
      state.fetchAgain = true;
      return;
    }
    state.fetching = true;
    const running = (async () => {
      try {
        do {
          state.fetchAgain = false;
          let page: LogPage;
          let since: number;
          do {
            since = state.last;
            const limit = await this.#roomForPage(room);
            page = await this.#log.after(room, since, limit);
            if (this.#rooms.get(room) !== state) return;
            this.#deliverPage(room, state, page);
          } while (page.through > since && state.last < page.head);
          // What arrived during the reads may fill the gap: read again first.
          if (state.pending.size > 0 && !state.fetchAgain) {
            this.#deliverAhead(room, state, page.head);
          }
        } while (state.fetchAgain && this.#rooms.get(room) === state);
      } catch (error) {
        // The periodic sweep or the next reconnect tries again.
        if (!this.#closed) {
          log("warn", "sequencer.fetch_failed", { room, error });
        }
      } finally {
        state.fetching = false;
      }
    })();
    this.#running.add(running);
    running.finally(() => this.#running.delete(running));
  }

  /** Waits until local subscribers can take a page, up to the stall time; returns its size. */
  async #roomForPage(room: string): Promise<number> {
    const stalled = new AbortController();
    const timer = setTimeout(
      () => stalled.abort(),
      this.#options.catchUpStallMs ?? DEFAULT_CATCH_UP_STALL_MS,
    );
    try {
      return await this.#local.waitForRoom(room, CATCH_UP_PAGE, stalled.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Delivers what a read of the log found that was not delivered yet. */
  #deliverPage(room: string, state: RoomState, page: LogPage): void {
    let caughtUp = 0;
    for (const message of page.messages) {
      if (message.id <= state.last) continue;
      if (!state.pending.delete(message.id)) caughtUp++;
      state.last = message.id;
      this.#deliver(room, broadcastOf(message));
    }
    // Entries the read passed over were not messages, or too old to send.
    state.last = Math.max(state.last, page.through);
    if (caughtUp > 0) {
      this.#metrics.catchUps.inc();
      this.#metrics.caughtUp.inc({}, caughtUp);
    }
  }

  /**
   * Delivers, in order, what arrived ahead of the log's end once the log
   * has nothing more: messages retention deleted before they could be read.
   * An id beyond the head was never stored: delivering it would make every
   * real message after it look like a repeat, so it is dropped.
   */
  #deliverAhead(room: string, state: RoomState, head: number): void {
    const ahead = [...state.pending.keys()].sort((a, b) => a - b);
    for (const id of ahead) {
      const broadcast = state.pending.get(id)!;
      state.pending.delete(id);
      if (id > head) {
        this.#metrics.drop("id", { room, id });
        continue;
      }
      if (id <= state.last) continue;
      state.last = id;
      this.#deliver(room, broadcast);
    }
  }

  #deliver(room: string, broadcast: Broadcast): void {
    this.#local.publish(room, broadcast).catch(() => {});
  }

  #release(room: string): void {
    if (this.#local.subscriberCount(room) > 0 || !this.#rooms.has(room)) return;
    this.#rooms.delete(room);
    this.#options.onDeactivate?.(room);
  }
}
