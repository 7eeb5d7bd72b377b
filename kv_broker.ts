/**
 * {@linkcode Broker} across isolates over Deno KV, for Deno Deploy: the
 * room's log in KV (written by `KvHistory`) is the channel. Each
 * process watches `["head", room]` of the rooms it has subscribers in and,
 * when the head moves, reads the log after the last id it delivered, so it
 * can deliver late but never skip a message.
 *
 * Presence events stay within the process: KV carries messages only.
 *
 * @module
 */
import {
  type Broker,
  BrokerClosedError,
  type SubscribeOptions,
  type Subscription,
} from "./broker.ts";
import { log } from "./log.ts";
import type { Broadcast } from "./protocol.ts";
import { type RoomLog, RoomSequencer } from "./room_sequencer.ts";

/** Options for {@linkcode KvBroker}. */
export interface KvBrokerOptions {
  /** The history that writes the log, read to deliver what is new. */
  log: Pick<RoomLog, "after">;
  /**
   * Milliseconds between checks of each active room's head, should a watch
   * fall behind.
   *
   * @default {2000}
   */
  sweepIntervalMs?: number;
}

/**
 * Publish/subscribe between isolates that share one Deno KV.
 *
 * @example Two handles on one KV file deliver each other's messages
 * ```ts
 * import assert from "node:assert/strict";
 * import { KvBroker } from "./kv_broker.ts";
 * import { KvHistory } from "./kv_history.ts";
 *
 * const path = await Deno.makeTempFile();
 * const [kvA, kvB] = [await Deno.openKv(path), await Deno.openKv(path)];
 * await using historyA = new KvHistory(kvA);
 * await using historyB = new KvHistory(kvB);
 * await using brokerB = new KvBroker(kvB, { log: historyB });
 * const subscription = brokerB.subscribe("general");
 * await brokerB.ready("general");
 * await historyA.append("general", [{ user: "ada", text: "hi" }]);
 * const { value } = await subscription.next();
 * assert.equal(value?.[0]?.id, 1);
 * await subscription.return();
 * await brokerB.close();
 * await Deno.remove(path);
 * ```
 */
export class KvBroker implements Broker<Broadcast> {
  #kv: Promise<Deno.Kv>;
  #sequencer: RoomSequencer;
  #watches = new Map<string, () => void>();
  #running = new Set<Promise<void>>();
  #closed = false;

  /** Watches `kv` (the history's database; the history closes it). */
  constructor(kv: Deno.Kv | Promise<Deno.Kv>, options: KvBrokerOptions) {
    this.#kv = Promise.resolve(kv);
    const roomLog: RoomLog = {
      head: async (room) =>
        Number((await (await this.#kv).get<number>(["head", room])).value ?? 0),
      after: (room, since) => options.log.after(room, since),
    };
    this.#sequencer = new RoomSequencer(roomLog, {
      sweepIntervalMs: options.sweepIntervalMs,
      onActivate: (room) => this.#watch(room),
      onDeactivate: (room) => this.#unwatch(room),
    });
  }

  /**
   * Hands a message to local subscribers at once (other processes read it
   * from the log); a presence event reaches this process only.
   *
   * @throws {BrokerClosedError} After {@linkcode KvBroker.close}.
   */
  publish(room: string, message: Broadcast): Promise<void> {
    if (this.#closed) return Promise.reject(new BrokerClosedError());
    this.#sequencer.receive(room, message);
    return Promise.resolve();
  }

  /** Subscribes locally and starts watching the room; see {@linkcode Broker.subscribe}. */
  subscribe(room: string, options?: SubscribeOptions): Subscription<Broadcast> {
    if (this.#closed) throw new BrokerClosedError();
    return this.#sequencer.subscribe(room, options);
  }

  /** Resolves once the room is watched and its head known. */
  ready(room: string): Promise<void> {
    return this.#sequencer.ready(room);
  }

  /** Current local subscribers of `room`, or of every room. */
  subscriberCount(room?: string): number {
    return this.#sequencer.subscriberCount(room);
  }

  /** Rooms with local subscribers. */
  roomCount(): number {
    return this.#sequencer.activeRooms.length;
  }

  /** Stops every watch and ends every subscription; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sequencer.close();
    await Promise.all(this.#running);
  }

  /** Same as {@linkcode KvBroker.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #watch(room: string): Promise<void> {
    const kv = await this.#kv;
    if (this.#closed || this.#watches.has(room)) return;
    const stream = kv.watch<[number]>([["head", room]]);
    const reader = stream.getReader();
    const done = (async () => {
      try {
        while (true) {
          const { value, done } = await reader.read();
          if (done) return;
          const head = value[0].value;
          if (typeof head === "number") this.#sequencer.headChanged(room, head);
        }
      } catch (error) {
        if (!this.#closed) log("warn", "kv.watch_failed", { room, error });
      } finally {
        reader.releaseLock();
      }
    })();
    this.#running.add(done);
    done.finally(() => this.#running.delete(done));
    this.#watches.set(room, () => void reader.cancel().catch(() => {}));
  }

  #unwatch(room: string): void {
    const stop = this.#watches.get(room);
    if (!stop) return;
    this.#watches.delete(room);
    stop();
  }
}
