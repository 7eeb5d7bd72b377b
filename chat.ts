/**
 * The chat itself: turns a sender's text into a numbered message and
 * publishes it to its room through the broker.
 *
 * @module
 */
import type { Broker, SubscribeOptions, Subscription } from "./broker.ts";
import { type Broadcast, broadcastOf, type ChatMessage } from "./protocol.ts";

/** Options for {@linkcode Chat}. */
export interface ChatOptions {
  /** Carries messages to subscribers. */
  broker: Broker<Broadcast>;
  /**
   * Clock for message timestamps, in milliseconds since the Unix epoch.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

/**
 * Numbers, stamps and publishes messages; ids are unique and increase
 * within a room in publish order.
 *
 * @example Posting a message
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryBroker } from "./broker.ts";
 * import { Chat } from "./chat.ts";
 * import type { Broadcast } from "./protocol.ts";
 *
 * await using broker = new MemoryBroker<Broadcast>();
 * const chat = new Chat({ broker, now: () => 42 });
 * const message = await chat.post("general", "ada", "hi");
 * assert.deepEqual(message, { type: "message", id: 1, room: "general", ts: 42, user: "ada", text: "hi" });
 * ```
 */
export class Chat {
  #broker: Broker<Broadcast>;
  #now: () => number;
  #lastIds = new Map<string, number>();

  /** Creates a chat over `options.broker`. */
  constructor(options: ChatOptions) {
    this.#broker = options.broker;
    this.#now = options.now ?? Date.now;
  }

  /** The broker messages travel through. */
  get broker(): Broker<Broadcast> {
    return this.#broker;
  }

  /**
   * Publishes `text` from `user` to `room`.
   *
   * @param room Target room.
   * @param user Sender's display name.
   * @param text Validated message text.
   * @returns The message as recipients see it.
   * @throws {BrokerClosedError} When the broker is closed.
   */
  async post(room: string, user: string, text: string): Promise<ChatMessage> {
    const id = (this.#lastIds.get(room) ?? 0) + 1;
    this.#lastIds.set(room, id);
    const message: ChatMessage = {
      type: "message",
      id,
      room,
      ts: this.#now(),
      user,
      text,
    };
    await this.#broker.publish(room, broadcastOf(message));
    return message;
  }

  /** Subscribes to `room`; see {@linkcode Broker.subscribe}. */
  subscribe(room: string, options?: SubscribeOptions): Subscription<Broadcast> {
    return this.#broker.subscribe(room, options);
  }
}
