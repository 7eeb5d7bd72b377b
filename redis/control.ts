/**
 * {@linkcode ControlChannel} over Redis pub/sub: one channel every instance
 * publishes to and subscribes to on its subscriber connection. Pub/sub keeps
 * nothing, so after the subscription drops and comes back the listener is
 * told events may have been missed, and rechecks its members against the
 * store.
 *
 * @module
 */
import {
  type ControlChannel,
  type ControlEvent,
  type ControlListener,
  ListenerSlot,
} from "../chat/control.ts";
import type { BusMetrics } from "../chat/bus_metrics.ts";
import { parseControlEvent } from "../chat/parse_moderation.ts";
import { log } from "../observability/log.ts";
import type { RedisClient } from "./client.ts";

/** Default for {@linkcode RedisControlOptions.channel}. */
export const DEFAULT_CONTROL_CHANNEL = "chat:control";
/** Longest control envelope accepted, in characters: user ids and room names are short. */
const MAX_ENVELOPE_LENGTH = 1024;

/** Options for {@linkcode RedisControl}. */
export interface RedisControlOptions {
  /** Client for `PUBLISH`; the caller owns and closes it. */
  client: RedisClient;
  /** The subscriber connection (shared with the broker); the caller owns and closes it. */
  subscriber: RedisClient;
  /**
   * Pub/sub channel of control events.
   *
   * @default {"chat:control"}
   */
  channel?: string;
  /** Where envelopes that are not valid are counted. */
  metrics?: BusMetrics;
}

/**
 * Control events between instances through Redis.
 *
 * @example Wiring (needs a running Redis)
 * ```ts ignore
 * import { createClient } from "redis";
 * import { RedisControl } from "./control.ts";
 *
 * const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const subscriber = await client.duplicate().connect();
 * const control = new RedisControl({ client, subscriber });
 * using _ = control.listen({ event: (event) => console.log(event) });
 * await control.publish({ type: "disconnect", userId: "bo" });
 * ```
 */
export class RedisControl implements ControlChannel {
  /** Identifies this process's publications, so it skips its own echoes. */
  readonly instanceId: string = crypto.randomUUID();
  #client: RedisClient;
  #subscriber: RedisClient;
  #channel: string;
  #metrics?: BusMetrics;
  #slot = new ListenerSlot();
  #onMessage = (raw: string) => this.#receive(raw);
  #wasReady: boolean;
  /** Set when the subscription came back: events may have been missed. */
  #missed = false;
  #onReady = () => {
    if (this.#wasReady) this.#missed = true;
    this.#wasReady = true;
    this.#tellMissed();
  };
  /** The listener rechecks against the store, so it is told once commands work again too. */
  #tellMissed = () => {
    if (!this.#missed || !this.#subscriber.isReady || !this.#client.isReady) {
      return;
    }
    this.#missed = false;
    this.#slot.missed();
  };
  #closed = false;

  /** Subscribes to the channel (now, or as soon as Redis is reachable). */
  constructor(options: RedisControlOptions) {
    this.#client = options.client;
    this.#subscriber = options.subscriber;
    this.#channel = options.channel ?? DEFAULT_CONTROL_CHANNEL;
    this.#metrics = options.metrics;
    this.#wasReady = this.#subscriber.isReady;
    this.#subscriber.on("ready", this.#onReady);
    this.#client.on("ready", this.#tellMissed);
    this.#subscriber.subscribe(this.#channel, this.#onMessage).catch((error) =>
      log("warn", "redis.control_subscribe_failed", { error })
    );
  }

  /** Delivers `event` here at once and publishes it to the other instances. */
  async publish(event: ControlEvent): Promise<void> {
    if (this.#closed) return;
    this.#slot.deliver(event);
    await this.#client.publish(
      this.#channel,
      JSON.stringify({ from: this.instanceId, event }),
    );
  }

  /** Registers the listener; see {@linkcode ControlChannel.listen}. */
  listen(listener: ControlListener): Disposable {
    return this.#slot.listen(listener);
  }

  /** Unsubscribes; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#slot.clear();
    this.#subscriber.off("ready", this.#onReady);
    this.#client.off("ready", this.#tellMissed);
    if (this.#subscriber.isReady) {
      await this.#subscriber.unsubscribe(this.#channel, this.#onMessage)
        .catch(() => {});
    }
  }

  /** Same as {@linkcode RedisControl.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Reads an envelope without trusting it: anyone who can publish can send anything. */
  #receive(raw: string): void {
    if (raw.length > MAX_ENVELOPE_LENGTH) {
      this.#metrics?.drop("size", { channel: this.#channel });
      return;
    }
    let envelope: unknown;
    try {
      envelope = JSON.parse(raw);
    } catch {
      this.#metrics?.drop("json", { channel: this.#channel });
      return;
    }
    const { from, event } = typeof envelope === "object" && envelope !== null
      ? envelope as Record<string, unknown>
      : {};
    const parsed = parseControlEvent(event);
    if (typeof from !== "string" || parsed === undefined) {
      this.#metrics?.drop("shape", { channel: this.#channel });
      return;
    }
    if (from !== this.instanceId) this.#slot.deliver(parsed);
  }
}
