/**
 * {@linkcode Broker} across instances over Redis pub/sub: one subscription
 * per process, local fan-out through a {@linkcode RoomSequencer}, which puts
 * each room's messages in id order and reads gaps from the shared history.
 *
 * Pub/sub keeps nothing, so it is only the fast path: a message missed while
 * the subscriber reconnects, or published out of order by two instances, is
 * read from the history (after a reconnect, on the next gap, or by the
 * periodic head check).
 *
 * @module
 */
import {
  type Broker,
  BrokerClosedError,
  type SubscribeOptions,
  type Subscription,
} from "../broker.ts";
import { log } from "../observability/log.ts";
import { BusMetrics } from "../chat/bus_metrics.ts";
import type { Broadcast } from "../chat/events.ts";
import type { RedisClient } from "./client.ts";
import {
  decodeEnvelope,
  encodeEnvelope,
  maxEnvelopeLength,
  ownMark,
} from "./envelope.ts";
import type { RoomLog } from "../chat/history.ts";
import { RoomSequencer } from "../chat/room_sequencer.ts";

/** Default for {@linkcode RedisBrokerOptions.channel}. */
export const DEFAULT_CHANNEL = "chat:events";

/** Options for {@linkcode RedisBroker}. */
export interface RedisBrokerOptions {
  /** Client for `PUBLISH`; the caller owns and closes it. */
  client: RedisClient;
  /** A second client, used only for the subscription; the caller owns and closes it. */
  subscriber: RedisClient;
  /** The shared history, read to fill gaps. */
  log: RoomLog;
  /**
   * Pub/sub channel every instance publishes to and subscribes to.
   *
   * @default {"chat:events"}
   */
  channel?: string;
  /**
   * Milliseconds between checks of each active room's head.
   *
   * @default {2000}
   */
  sweepIntervalMs?: number;
  /**
   * Largest message text, in UTF-8 bytes; envelopes too large to carry one
   * are dropped.
   *
   * @default {4096}
   */
  maxMessageBytes?: number;
  /**
   * Where dropped envelopes, resubscriptions and catch-ups are counted.
   *
   * @default {new BusMetrics()}
   */
  metrics?: BusMetrics;
  /**
   * This process's id on the channel, which it skips when its own
   * publications come back.
   *
   * @default {crypto.randomUUID()}
   */
  instanceId?: string;
  /**
   * Whether the store publishes log entries (messages, edits, deletions) on
   * the channel itself, as `RedisHistory` does with a `bus`: `publish()`
   * then hands them to local subscribers only.
   *
   * @default {false}
   */
  entriesPublished?: boolean;
}

/**
 * Publish/subscribe between server instances through Redis.
 *
 * @example Wiring (needs a running Redis)
 * ```ts ignore
 * import { createClient } from "redis";
 * import { RedisBroker } from "./broker.ts";
 * import { RedisHistory } from "./history.ts";
 *
 * const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const subscriber = await client.duplicate().connect();
 * const broker = new RedisBroker({ client, subscriber, log: new RedisHistory(client) });
 * const subscription = broker.subscribe("general");
 * await broker.ready("general");
 * ```
 */
export class RedisBroker implements Broker<Broadcast> {
  /** Identifies this process's publications, so it skips its own echoes. */
  readonly instanceId: string;
  /** What the bus did besides delivering: drops, resubscriptions, catch-ups. */
  readonly metrics: BusMetrics;
  #client: RedisClient;
  #subscriber: RedisClient;
  #channel: string;
  #sequencer: RoomSequencer;
  #subscribed = false;
  #subscription: Promise<void>;
  #maxEnvelopeLength: number;
  #entriesPublished: boolean;
  /** How this process's own envelopes name it, found without parsing them. */
  #ownMark: string;
  #listener = (message: string) => this.#onMessage(message);
  /** Whether the subscriber connection was ready once: any later "ready" follows a drop. */
  #wasReady: boolean;
  #onReady = () => {
    if (this.#wasReady) this.metrics.resubscribes.inc();
    this.#wasReady = true;
    this.#sequencer.catchUp();
  };
  #closed = false;

  /** Subscribes to the channel (now, or as soon as Redis is reachable). */
  constructor(options: RedisBrokerOptions) {
    this.instanceId = options.instanceId ?? crypto.randomUUID();
    this.#ownMark = ownMark(this.instanceId);
    this.#entriesPublished = options.entriesPublished ?? false;
    this.#client = options.client;
    this.#subscriber = options.subscriber;
    this.#wasReady = this.#subscriber.isReady;
    this.#channel = options.channel ?? DEFAULT_CHANNEL;
    this.#maxEnvelopeLength = maxEnvelopeLength(
      options.maxMessageBytes ?? 4096,
    );
    this.metrics = options.metrics ?? new BusMetrics();
    this.#sequencer = new RoomSequencer(options.log, {
      sweepIntervalMs: options.sweepIntervalMs,
      metrics: this.metrics,
    });
    // node-redis resubscribes after a reconnect before it reports "ready";
    // then the rooms read what was published while the link was down.
    this.#subscriber.on("ready", this.#onReady);
    this.#subscription = this.#subscriber.subscribe(
      this.#channel,
      this.#listener,
    ).then(() => {
      this.#subscribed = true;
    });
    this.#subscription.catch((error) =>
      log("warn", "redis.subscribe_failed", { error })
    );
  }

  /** Whether the subscription is established and the link is up. */
  get connected(): boolean {
    return this.#subscribed && this.#subscriber.isReady &&
      this.#client.isReady;
  }

  /**
   * Publishes to every instance. A message is also handed to local
   * subscribers at once; a presence event is delivered locally and sent on.
   * With `entriesPublished`, a log entry is only handed to local
   * subscribers: the store published it.
   *
   * @throws {BrokerClosedError} After {@linkcode RedisBroker.close}.
   * @throws When Redis cannot take it; local subscribers still got it.
   */
  async publish(room: string, message: Broadcast): Promise<void> {
    if (this.#closed) throw new BrokerClosedError();
    this.#sequencer.receive(room, message);
    if (this.#entriesPublished && message.id !== null) return;
    await this.#client.publish(
      this.#channel,
      encodeEnvelope(room, this.instanceId, message),
    );
  }

  /** Subscribes locally; see {@linkcode Broker.subscribe}. */
  subscribe(room: string, options?: SubscribeOptions): Subscription<Broadcast> {
    if (this.#closed) throw new BrokerClosedError();
    return this.#sequencer.subscribe(room, options);
  }

  /**
   * Resolves once messages stored from now on reach the room's subscriptions.
   *
   * @throws When Redis is unreachable.
   */
  async ready(room: string): Promise<void> {
    if (!this.#subscribed || !this.#subscriber.isReady) {
      throw new Error("Cannot subscribe to room: Redis is unreachable");
    }
    await this.#sequencer.ready(room);
  }

  /** Current local subscribers of `room`, or of every room. */
  subscriberCount(room?: string): number {
    return this.#sequencer.subscriberCount(room);
  }

  /** Rooms with local subscribers. */
  roomCount(): number {
    return this.#sequencer.activeRooms.length;
  }

  /** Unsubscribes and ends every local subscription; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscriber.off("ready", this.#onReady);
    await this.#sequencer.close();
    if (this.#subscriber.isReady) {
      await this.#subscriber.unsubscribe(this.#channel, this.#listener).catch(
        () => {},
      );
    }
  }

  /** Same as {@linkcode RedisBroker.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #onMessage(raw: string): void {
    // Its own envelopes come back too: skip them before decoding.
    if (raw.includes(this.#ownMark)) return;
    const received = decodeEnvelope(raw, this.#maxEnvelopeLength);
    if (!("broadcasts" in received)) {
      this.metrics.drop(received.reason, {
        room: received.room,
        length: raw.length,
      });
      return;
    }
    if (received.from === this.instanceId) return;
    for (const broadcast of received.broadcasts) {
      this.#sequencer.receive(received.room, broadcast);
    }
  }
}
