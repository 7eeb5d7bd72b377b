/**
 * One room's order on this process: the last id delivered to local
 * subscribers and the epoch it belongs to, messages waiting for a gap before
 * them, and the catch-up that reads what the transport missed from the log.
 * {@linkcode RoomSequencer} in `room_sequencer.ts` keeps one per active room.
 *
 * @module
 */
import type { MemoryBroker } from "../broker.ts";
import type { BusMetrics } from "./bus_metrics.ts";
import { type Broadcast, broadcastOf, resetBroadcast } from "./events.ts";
import type { LogPage, RoomLog, RoomPosition } from "./history.ts";
import { log } from "../observability/log.ts";

/** Messages read from the log at a time when catching up. */
export const CATCH_UP_PAGE = 100;
/**
 * Messages kept per room while they wait for a gap before them to be read
 * from the log; later ones are read from the log too, so a long catch-up
 * under traffic does not hold the room's whole traffic in memory.
 */
const MAX_PENDING = 10 * CATCH_UP_PAGE;

/** What a {@linkcode RoomOrder} works with, shared by every room of a sequencer. */
export interface RoomOrderContext {
  /** The room's stored log. */
  log: RoomLog;
  /** Local subscribers, by room. */
  local: MemoryBroker<Broadcast>;
  /** Where catch-ups, resets and dropped events are counted. */
  metrics: BusMetrics;
  /** Milliseconds a catch-up waits for a subscriber that takes nothing. */
  catchUpStallMs: number;
  /** Keeps a read of the log running until the sequencer closes. */
  track(work: Promise<void>): void;
}

/**
 * The order of one room's messages. A message whose id is the next one is
 * delivered at once; a gap is filled by reading the log; ids already
 * delivered are dropped; a message of another epoch, or a log found behind
 * what was delivered, makes it read the log, which tells the current epoch:
 * on a new one, subscribers get a `reset` event and then every message the
 * log keeps in that epoch.
 */
export class RoomOrder {
  /** Whether the room's starting point is known. */
  initialised = false;
  /** Whether reading the starting point failed; the next use retries. */
  failed = false;
  /** Settles when the starting point is known. */
  ready: Promise<void> = Promise.resolve();
  /** Set when the room is no longer active: reads in flight stop. */
  closed = false;
  /** Last id delivered to local subscribers. */
  #last = 0;
  #epoch = "";
  /** Messages that arrived ahead of a gap, or before the head was known. */
  #pending = new Map<number, Broadcast>();
  #fetching = false;
  #fetchAgain = false;
  readonly #room: string;
  readonly #context: RoomOrderContext;

  /** The order of `room`, not yet initialised. */
  constructor(room: string, context: RoomOrderContext) {
    this.#room = room;
    this.#context = context;
  }

  /** Where delivery stands: the epoch and the last id delivered. */
  get position(): RoomPosition {
    return { epoch: this.#epoch, head: this.#last };
  }

  /**
   * Starts from where the log stands now, and delivers what arrived before.
   *
   * @param position The room's position, read after the subscription existed.
   */
  start(position: RoomPosition): void {
    this.#last = position.head;
    this.#epoch = position.epoch;
    this.initialised = true;
    this.#flush();
  }

  /**
   * Takes one event from the transport.
   *
   * @param broadcast A message, or an event without id that passes through.
   */
  receive(broadcast: Broadcast): void {
    if (broadcast.id === null) {
      this.#deliver(broadcast);
      return;
    }
    if (!this.initialised) {
      if (this.#pending.size < MAX_PENDING) {
        this.#pending.set(broadcast.id, broadcast);
      }
      return;
    }
    if (broadcast.epoch !== undefined && broadcast.epoch !== this.#epoch) {
      // Another epoch: the log says which one is current.
      this.fetch();
      return;
    }
    if (broadcast.id <= this.#last) return;
    if (this.#pending.size >= MAX_PENDING) {
      this.fetch();
      return;
    }
    this.#pending.set(broadcast.id, broadcast);
    this.#flush();
  }

  /**
   * Reads the log after the last delivered id, a page at a time, and
   * delivers it in order; one read at a time. Each page waits until local
   * subscribers have taken the last one, so a long catch-up (after the
   * subscription dropped) does not overflow their queues at once.
   */
  fetch(): void {
    if (this.#fetching) {
      this.#fetchAgain = true;
      return;
    }
    this.#fetching = true;
    this.#context.track((async () => {
      try {
        do {
          this.#fetchAgain = false;
          const head = await this.#readLog();
          if (head === undefined) return;
          // What arrived during the reads may fill the gap: read again first.
          if (this.#pending.size > 0 && !this.#fetchAgain) {
            this.#deliverAhead(head);
          }
        } while (this.#fetchAgain && !this.closed);
      } catch (error) {
        // The periodic sweep or the next reconnect tries again.
        if (!this.closed) {
          log("warn", "sequencer.fetch_failed", { room: this.#room, error });
        }
      } finally {
        this.#fetching = false;
      }
    })());
  }

  /** Reads pages until the log's end; returns its head, or nothing once closed. */
  async #readLog(): Promise<number | undefined> {
    while (true) {
      const since = this.#last;
      const limit = await this.#roomForPage();
      const page = await this.#context.log.after(this.#room, since, limit);
      if (this.closed) return undefined;
      let epoch = page.epoch;
      if (epoch === this.#epoch && page.head < since) {
        // The log is behind what was delivered: it lost messages, and ids
        // from here on would repeat delivered ones. It starts a new epoch.
        epoch = (await this.#context.log.position(this.#room, this.position))
          .epoch;
        if (this.closed) return undefined;
      }
      if (epoch !== this.#epoch) {
        this.#reset(epoch);
        continue;
      }
      this.#deliverPage(page);
      if (page.through === since || this.#last >= page.head) return page.head;
    }
  }

  /** Waits until local subscribers can take a page, up to the stall time; returns its size. */
  async #roomForPage(): Promise<number> {
    const stalled = new AbortController();
    const timer = setTimeout(
      () => stalled.abort(),
      this.#context.catchUpStallMs,
    );
    try {
      return await this.#context.local.waitForRoom(
        this.#room,
        CATCH_UP_PAGE,
        stalled.signal,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts delivering `epoch`: subscribers forget the room's ids, then get its messages from the first. */
  #reset(epoch: string): void {
    log("warn", "sequencer.epoch_reset", { room: this.#room, epoch });
    this.#context.metrics.epochResets.inc();
    this.#epoch = epoch;
    this.#last = 0;
    this.#pending.clear();
    this.#deliver(resetBroadcast(this.#room, epoch));
  }

  /** Delivers pending messages that follow the last one; a gap starts a read of the log. */
  #flush(): void {
    for (const [id, broadcast] of this.#pending) {
      const foreign = broadcast.epoch !== undefined &&
        broadcast.epoch !== this.#epoch;
      if (id <= this.#last || foreign) this.#pending.delete(id);
    }
    let next: Broadcast | undefined;
    while ((next = this.#pending.get(this.#last + 1)) !== undefined) {
      this.#pending.delete(this.#last + 1);
      this.#last++;
      this.#deliver(next);
    }
    if (this.#pending.size > 0) this.fetch();
  }

  /** Delivers what a read of the log found that was not delivered yet. */
  #deliverPage(page: LogPage): void {
    let caughtUp = 0;
    for (const entry of page.entries) {
      if (entry.id <= this.#last) continue;
      if (!this.#pending.delete(entry.id)) caughtUp++;
      this.#last = entry.id;
      this.#deliver(broadcastOf(entry, page.epoch));
    }
    // Entries the read passed over were not valid, or too old to send.
    this.#last = Math.max(this.#last, page.through);
    if (caughtUp > 0) {
      this.#context.metrics.catchUps.inc();
      this.#context.metrics.caughtUp.inc({}, caughtUp);
    }
  }

  /**
   * Delivers, in order, what arrived ahead of the log's end once the log
   * has nothing more: messages retention deleted before they could be read.
   * An id beyond the head was never stored: delivering it would make every
   * real message after it look like a repeat, so it is dropped.
   */
  #deliverAhead(head: number): void {
    const ahead = [...this.#pending.keys()].sort((a, b) => a - b);
    for (const id of ahead) {
      const broadcast = this.#pending.get(id)!;
      this.#pending.delete(id);
      if (id > head) {
        this.#context.metrics.drop("id", { room: this.#room, id });
        continue;
      }
      if (id <= this.#last) continue;
      this.#last = id;
      this.#deliver(broadcast);
    }
  }

  #deliver(broadcast: Broadcast): void {
    this.#context.local.publish(this.#room, broadcast).catch(() => {});
  }
}
