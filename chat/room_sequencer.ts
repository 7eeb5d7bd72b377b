/**
 * In-order delivery of each room's messages to this process's subscribers
 * when messages arrive from a transport that may reorder or drop them
 * (Redis pub/sub between instances, Deno KV watches between isolates).
 *
 * The stored log is the truth: a message whose id is the next one is
 * delivered at once; a gap is filled by reading the log after the last
 * delivered id; ids already delivered are dropped. When the log's epoch
 * changes (it lost the room's messages and numbers them anew), subscribers
 * get a `reset` event and then the new epoch's messages. Presence events
 * (id `null`) pass straight through. Where delivery stands is kept per room
 * (`room_order.ts`) only while the room has local subscribers.
 *
 * @module
 */
import {
  MemoryBroker,
  type SubscribeOptions,
  type Subscription,
} from "../broker.ts";
import { BusMetrics } from "./bus_metrics.ts";
import type { RoomLog } from "./history.ts";
import { log } from "../observability/log.ts";
import type { Broadcast } from "./events.ts";
import { RoomOrder } from "./room_order.ts";

export { CATCH_UP_PAGE } from "./room_order.ts";

/** Options for {@linkcode RoomSequencer}. */
export interface RoomSequencerOptions {
  /** Called when a room gets its first local subscriber; awaited before the room's position is read. */
  onActivate?: (room: string) => Promise<void> | void;
  /** Called when a room's last local subscriber is gone. */
  onDeactivate?: (room: string) => void;
  /**
   * Milliseconds between checks of every active room's position in the log,
   * which deliver messages whose notification was lost and notice a log that
   * lost messages (0 turns the check off).
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
   * Where catch-ups from the log, epoch resets and dropped events are counted.
   *
   * @default {new BusMetrics()}
   */
  metrics?: BusMetrics;
}

/** Default for {@linkcode RoomSequencerOptions.sweepIntervalMs}. */
export const DEFAULT_SWEEP_INTERVAL_MS = 2000;
/** Default for {@linkcode RoomSequencerOptions.catchUpStallMs}. */
export const DEFAULT_CATCH_UP_STALL_MS = 1000;

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
 *   position: () => Promise.resolve({ epoch: "e", head: 0 }),
 *   after: (_room: string, since: number, limit: number) => {
 *     const messages = stored.filter((m) => m.id > since).slice(0, limit);
 *     const through = messages.at(-1)?.id ?? since;
 *     return Promise.resolve({ entries: messages, head: 2, through, epoch: "e" });
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
  #rooms = new Map<string, RoomOrder>();
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

  /** Subscribes locally; the room becomes active (its position is read) if it was not. */
  subscribe(
    room: string,
    options: SubscribeOptions = {},
  ): Subscription<Broadcast> {
    const subscription = this.#local.subscribe(room, options);
    if (!this.#rooms.has(room)) {
      const order = new RoomOrder(room, {
        log: this.#log,
        local: this.#local,
        metrics: this.#metrics,
        catchUpStallMs: this.#options.catchUpStallMs ??
          DEFAULT_CATCH_UP_STALL_MS,
        track: (work) => this.#track(work),
      });
      this.#rooms.set(room, order);
      this.#initialise(room, order);
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
   * @throws When the room's position cannot be read (the log is unreachable).
   */
  ready(room: string): Promise<void> {
    const order = this.#rooms.get(room);
    if (!order) return Promise.resolve();
    if (order.failed) this.#initialise(room, order);
    return order.ready;
  }

  /** Takes one event from the transport; see the module notes for the rules. */
  receive(room: string, broadcast: Broadcast): void {
    if (this.#closed) return;
    this.#rooms.get(room)?.receive(broadcast);
  }

  /** Tells that the room's log moved to `head`, or its epoch changed; reads what is missing. */
  headChanged(room: string, head?: number): void {
    const order = this.#rooms.get(room);
    if (order?.initialised && head !== order.position.head) order.fetch();
  }

  /** Reads every active room's log after its last delivered id (after a reconnect). */
  catchUp(): void {
    for (const [room, order] of this.#rooms) {
      if (order.initialised) order.fetch();
      else if (order.failed) this.#initialise(room, order);
    }
  }

  /**
   * Compares each active room's position in the log with what was
   * delivered (the store starts a new epoch when it is behind); drops rooms
   * nobody watches.
   */
  async sweep(): Promise<void> {
    for (const [room, order] of [...this.#rooms]) {
      if (this.#local.subscriberCount(room) === 0) {
        this.#release(room);
        continue;
      }
      if (!order.initialised) {
        if (order.failed) this.#initialise(room, order);
        continue;
      }
      try {
        const seen = order.position;
        const position = await this.#log.position(room, seen);
        if (position.epoch !== seen.epoch || position.head !== seen.head) {
          order.fetch();
        }
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
    for (const [room, order] of this.#rooms) {
      order.closed = true;
      this.#options.onDeactivate?.(room);
    }
    this.#rooms.clear();
    await this.#local.close();
    await Promise.all(this.#running);
  }

  /** Same as {@linkcode RoomSequencer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #initialise(room: string, order: RoomOrder): void {
    order.failed = false;
    order.ready = (async () => {
      await this.#options.onActivate?.(room);
      const position = await this.#log.position(room);
      if (this.#rooms.get(room) !== order) return;
      order.start(position);
    })();
    order.ready.catch((error) => {
      order.failed = true;
      log("warn", "sequencer.init_failed", { room, error });
    });
  }

  /** Runs `work` so that {@linkcode RoomSequencer.close} waits for it. */
  #track(work: Promise<void>): void {
    this.#running.add(work);
    work.finally(() => this.#running.delete(work));
  }

  #release(room: string): void {
    const order = this.#rooms.get(room);
    if (this.#local.subscriberCount(room) > 0 || !order) return;
    order.closed = true;
    this.#rooms.delete(room);
    this.#options.onDeactivate?.(room);
  }
}
