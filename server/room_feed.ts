/**
 * One room of one connection: its subscription's events on their way to the
 * socket, without letting the socket's send buffer grow past its bound.
 *
 * @module
 */
import { type BatchReceiver, SlowConsumerError } from "../broker.ts";
import type { Broadcast, Member } from "../chat/events.ts";
import type { Joined } from "../chat/join.ts";
import type { ConnectionContext } from "./connection_context.ts";
import type { SocketWriter } from "./socket_writer.ts";

/** What {@linkcode RoomFeed.subscribeOptions} gives `Chat.join()`. */
export interface FeedSubscribeOptions {
  receiver: BatchReceiver<Broadcast>;
  signal: AbortSignal;
  maxQueueLength: number;
  onSlowConsumer: () => void;
}

/**
 * Feeds one room's events to a connection. The broker hands batches to
 * {@linkcode RoomFeed.deliver} directly; only when it refused one (the send
 * buffer is over its bound) does the feed's loop run, sending what was
 * queued as the buffer drains, until the subscription has nothing queued.
 * An idle feed holds no pending read.
 */
export class RoomFeed implements BatchReceiver<Broadcast> {
  /** Ends this membership's subscription. */
  readonly controller: AbortController = new AbortController();
  /** Who the connection is present in the room as. */
  member: Member;
  /** Whether the join completed, so presence must be undone on leave. */
  ready = false;
  #context: ConnectionContext;
  /** The context's writer, kept here too: a delivery then reads one object less. */
  #writer: SocketWriter;
  /**
   * Whether direct deliveries are taken: started, not paused, not ended.
   * One field, so the common delivery checks one thing.
   */
  #open = false;
  /** The room's subscription, once the join completed. */
  #subscription?: Joined["subscription"];
  /** Whether the loop is reading the subscription. */
  #pumping = false;
  /** Whether the broker queued something since the loop's last read. */
  #resumed = false;
  /** Live messages up to this id were in the history sent on joining; 0 once past them. */
  #lastHistoryId = 0;
  /** The epoch of the ids the client has; `""` when it has none (plain text). */
  #epoch = "";
  /** Whether the announcement of this connection's own arrival is still to be skipped. */
  #skipOwnArrival = false;

  /** A feed for `context`'s connection, present in the room as `member`. */
  constructor(context: ConnectionContext, member: Member) {
    this.#context = context;
    this.#writer = context.writer;
    this.member = member;
  }

  /** Whether the room was left or the connection ended. */
  get ended(): boolean {
    return this.controller.signal.aborted;
  }

  /** Ends the room's subscription: the room was left or the connection ended. */
  end(): void {
    this.#open = false;
    this.controller.abort();
  }

  /** Subscription options that bind the room's subscription to this feed. */
  subscribeOptions(): FeedSubscribeOptions {
    return {
      receiver: this,
      // The connection's end aborts every feed, so the feed's own signal is
      // enough; AbortSignal.any() would keep a dependent signal and its
      // bookkeeping per room for the socket's life.
      signal: this.controller.signal,
      maxQueueLength: this.#context.maxQueueLength,
      // The connection's one function: no closure per room.
      onSlowConsumer: this.#context.cutOff,
    };
  }

  /**
   * Starts sending the room's live events once the join has been answered.
   * The loop runs for the socket's life, so it keeps only what it needs of
   * the join, not its member list and history.
   *
   * @param joined The completed join.
   */
  start(joined: Joined): void {
    this.#lastHistoryId = joined.lastHistoryId;
    this.#epoch = joined.history.epoch;
    // Plain-text clients see no presence, so there is no arrival to skip.
    this.#skipOwnArrival = joined.announced && this.#writer.mode === "json";
    this.#subscription = joined.subscription;
    this.#pump();
  }

  /**
   * Sends a batch the broker hands over directly (see
   * `SubscribeOptions.receiver` in broker.ts); refuses it before the feed has
   * started, while the send buffer drains, or once the room is left, so that
   * the loop deals with it.
   *
   * @param batch Events, oldest first.
   * @returns Whether the batch was taken.
   */
  deliver(batch: readonly Broadcast[]): boolean {
    if (!this.#open) return false;
    const writer = this.#writer;
    // The bound is the socket's, shared by all its rooms: a room must not
    // add to a buffer another room has already filled.
    if (!writer.open || writer.overBound) {
      this.#open = false;
      return false;
    }
    try {
      this.#send(batch);
      if (writer.overBound) this.#open = false;
    } catch (error) {
      // Never throw into the broker, which is delivering to others too.
      this.#context.fail("connection.deliver_failed", error);
    }
    return true;
  }

  /**
   * Reads what the broker queued: it refused a delivery of this feed's
   * (see `BatchReceiver.resume` in broker.ts).
   */
  resume(): void {
    this.#resumed = true;
    if (this.#subscription !== undefined && !this.#pumping && !this.ended) {
      this.#pump();
    }
  }

  /**
   * Sends what the subscription has queued, waiting for the send buffer to
   * drain, until it yields an empty batch: from then on the broker hands
   * batches over directly.
   */
  async #pump(): Promise<void> {
    const subscription = this.#subscription!;
    const writer = this.#writer;
    const { drainWatcher } = this.#context;
    const { socket, maxBufferedBytes } = writer;
    const signal = this.controller.signal;
    this.#pumping = true;
    try {
      while (true) {
        this.#resumed = false;
        const { value: batch, done } = await subscription.next();
        if (done || !this.#canSend()) return;
        if (batch.length === 0) {
          this.#open = true;
          // Queued again while this read was on its way: read on.
          if (this.#resumed) continue;
          return;
        }
        // Closed by a delivery that found the buffer over its bound, or
        // that left it so: wait for it to drain to half first.
        if (!this.#open || writer.overBound) {
          await drainWatcher.wait(socket, maxBufferedBytes / 2, signal);
          if (!this.#canSend()) return;
        }
        this.#send(batch);
        if (writer.overBound) {
          await drainWatcher.wait(socket, maxBufferedBytes / 2, signal);
        }
        // Drained: the next batch need not wait.
        this.#open = this.#canSend();
      }
    } catch (error) {
      if (error instanceof SlowConsumerError || this.ended) return;
      this.#context.fail("connection.pump_failed", error);
    } finally {
      this.#pumping = false;
    }
  }

  #canSend(): boolean {
    return this.#writer.open && !this.ended;
  }

  /**
   * Sends a batch, skipping messages the join's history held, the joiner's
   * own arrival, and what belongs to another epoch than the client's.
   */
  #send(batch: readonly Broadcast[]): void {
    if (
      this.#lastHistoryId > 0 || this.#skipOwnArrival || this.#offEpoch(batch)
    ) {
      batch = this.#filter(batch);
      if (batch.length === 0) return;
    }
    this.#writer.sendBatch(batch);
  }

  /** Whether `batch` holds a `reset`, or a message of an epoch the client is not in. */
  #offEpoch(batch: readonly Broadcast[]): boolean {
    const epoch = this.#epoch;
    if (epoch === "") return false;
    // A loop, not some(): no closure per delivery.
    for (const event of batch) {
      if (
        event.epoch !== undefined &&
        (event.id === null || event.epoch !== epoch)
      ) return true;
    }
    return false;
  }

  #filter(batch: readonly Broadcast[]): Broadcast[] {
    const ownArrival = this.#skipOwnArrival
      ? batch.findIndex((event) => event.origin === this.#context.connectionId)
      : -1;
    if (ownArrival >= 0) this.#skipOwnArrival = false;
    const kept: Broadcast[] = [];
    batch.forEach((event, index) => {
      if (index === ownArrival) return;
      if (this.#epoch !== "" && event.epoch !== undefined) {
        if (event.id === null) {
          // A reset: the client's ids mean nothing from here on, unless
          // the history it got on joining was already of that epoch.
          if (event.epoch === this.#epoch) return;
          this.#epoch = event.epoch;
          this.#lastHistoryId = 0;
        } else if (event.epoch !== this.#epoch) {
          // Sent before the room's reset reached this process; the reset
          // and the log's messages follow.
          return;
        }
      }
      if (event.id !== null && event.id <= this.#lastHistoryId) return;
      kept.push(event);
    });
    if (kept.some((event) => event.id !== null)) this.#lastHistoryId = 0;
    return kept;
  }
}
