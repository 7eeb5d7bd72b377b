/**
 * {@linkcode Broker} across isolates over Deno KV, for Deno Deploy: the
 * room's log in KV (written by `KvHistory`) is the channel. Each
 * process watches `["head", room]` of the rooms it has subscribers in and,
 * when the head moves, reads the log after the last id it delivered, so it
 * can deliver late but never skip a message.
 *
 * Presence and typing events (id `null`) are not numbered, so they travel
 * apart: each is handed to local subscribers at once and appended to a
 * short-lived per-room event log (`event_log.ts`), `["presence_log", room,
 * n]`, by the atomic commit that moves the room's event counter
 * `["presence_head", room]` to `n`. The watch covers both heads; when the
 * event counter moves, each process reads the events after the last one it
 * saw and delivers those that other brokers wrote, so every process
 * delivers each event once. They are best effort: a process that falls
 * behind by more than {@linkcode PRESENCE_EVENT_TTL_MS} skips what expired,
 * and a joiner's member list (read from the presence entries) is the
 * authority.
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
import { type Broadcast, presenceBroadcast } from "../chat/events.ts";
import { parseEvent } from "../chat/parse_event.ts";
import type { RoomLog } from "../chat/history.ts";
import { RoomSequencer } from "../chat/room_sequencer.ts";
import {
  appendEvent,
  type EventLogKeys,
  EventLogReader,
  isCounter,
} from "./event_log.ts";

/**
 * Milliseconds a presence event stays in the room's event log: far longer
 * than a watch takes to notice it, short enough that the log stays small.
 */
export const PRESENCE_EVENT_TTL_MS = 60_000;
/** Where a room's presence and typing events lie. */
function eventKeys(room: string): EventLogKeys {
  return { head: ["presence_head", room], entries: ["presence_log", room] };
}

/** Options for {@linkcode KvBroker}. */
export interface KvBrokerOptions {
  /** The history that writes the log, read to deliver what is new. */
  log: RoomLog;
  /**
   * Milliseconds between checks of each active room's head, should a watch
   * fall behind.
   *
   * @default {2000}
   */
  sweepIntervalMs?: number;
  /**
   * Where invalid events read from the store and catch-ups are counted.
   *
   * @default {new BusMetrics()}
   */
  metrics?: BusMetrics;
}

/**
 * Publish/subscribe between isolates that share one Deno KV.
 *
 * @example Two handles on one KV file deliver each other's messages
 * ```ts
 * import assert from "node:assert/strict";
 * import { KvBroker } from "./broker.ts";
 * import { KvHistory } from "./history.ts";
 *
 * const path = await Deno.makeTempFile();
 * const [kvA, kvB] = [await Deno.openKv(path), await Deno.openKv(path)];
 * await using historyA = new KvHistory(kvA);
 * await using historyB = new KvHistory(kvB);
 * await using brokerB = new KvBroker(kvB, { log: historyB });
 * const subscription = brokerB.subscribe("general");
 * await brokerB.ready("general");
 * await historyA.append("general", [{ userId: "ada", user: "ada", text: "hi" }]);
 * const { value } = await subscription.next();
 * assert.equal(value?.[0]?.id, 1);
 * await subscription.return();
 * await brokerB.close();
 * await Deno.remove(path);
 * ```
 */
export class KvBroker implements Broker<Broadcast> {
  /** This broker's id in the presence events it writes. */
  readonly instanceId: string = crypto.randomUUID();
  /** What the bus did besides delivering: drops and catch-ups. */
  readonly metrics: BusMetrics;
  #kv: Promise<Deno.Kv>;
  #readers = new Map<string, EventLogReader>();
  #sequencer: RoomSequencer;
  #watches = new Map<string, () => void>();
  #running = new Set<Promise<void>>();
  #closed = false;

  /** Watches `kv` (the history's database; the history closes it). */
  constructor(kv: Deno.Kv | Promise<Deno.Kv>, options: KvBrokerOptions) {
    this.#kv = Promise.resolve(kv);
    this.metrics = options.metrics ?? new BusMetrics();
    this.#sequencer = new RoomSequencer(options.log, {
      sweepIntervalMs: options.sweepIntervalMs,
      metrics: this.metrics,
      onActivate: (room) => this.#watch(room),
      onDeactivate: (room) => this.#unwatch(room),
    });
  }

  /**
   * Hands a message to local subscribers at once (other processes read it
   * from the history's log); a presence event is also appended to the
   * room's event log for other processes. Resolves once it is stored, or
   * once storing it failed (logged: presence events are best effort).
   *
   * @throws {BrokerClosedError} After {@linkcode KvBroker.close}.
   */
  async publish(room: string, message: Broadcast): Promise<void> {
    if (this.#closed) throw new BrokerClosedError();
    this.#sequencer.receive(room, message);
    if (message.id !== null) return;
    await this.#track(this.#appendEvent(room, message.json));
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
    // Events from now on are new to this process; older ones are not replayed.
    const reader = new EventLogReader(
      kv,
      eventKeys(room),
      (value, source) => this.#receiveEvent(room, value, source),
    );
    await reader.start();
    if (this.#closed || this.#watches.has(room)) return;
    this.#readers.set(room, reader);
    const stream = kv.watch<[unknown, unknown, unknown]>([
      ["head", room],
      ["presence_head", room],
      ["epoch", room],
    ]);
    const watch = stream.getReader();
    const done = (async () => {
      let epoch: unknown;
      try {
        while (true) {
          const { value, done } = await watch.read();
          if (done) return;
          const [head, events] = [value[0].value, value[1].value];
          if (isCounter(head)) this.#sequencer.headChanged(room, head);
          else if (head !== null) this.metrics.drop("id", { room });
          // A new epoch: the log lost messages and numbers them anew.
          if (epoch !== undefined && value[2].value !== epoch) {
            this.#sequencer.headChanged(room);
          }
          epoch = value[2].value;
          if (isCounter(events)) {
            if (events > reader.last) this.#readEvents(room, reader);
          } else if (events !== null) this.metrics.drop("id", { room });
        }
      } catch (error) {
        if (!this.#closed) log("warn", "kv.watch_failed", { room, error });
      } finally {
        watch.releaseLock();
      }
    })();
    this.#running.add(done);
    done.finally(() => this.#running.delete(done));
    this.#watches.set(room, () => void watch.cancel().catch(() => {}));
  }

  #unwatch(room: string): void {
    const stop = this.#watches.get(room);
    if (!stop) return;
    this.#watches.delete(room);
    const reader = this.#readers.get(room);
    if (reader) reader.stopped = true;
    this.#readers.delete(room);
    stop();
  }

  /** Runs `work` so that {@linkcode KvBroker.close} waits for it. */
  #track(work: Promise<void>): Promise<void> {
    this.#running.add(work);
    return work.finally(() => this.#running.delete(work));
  }

  /** Appends a presence or typing event for the other processes; logged, not thrown, when it fails. */
  async #appendEvent(room: string, json: string): Promise<void> {
    try {
      await appendEvent(
        await this.#kv,
        eventKeys(room),
        { value: json, source: this.instanceId },
        PRESENCE_EVENT_TTL_MS,
      );
    } catch (error) {
      log("warn", "kv.presence_append_failed", { room, error });
    }
  }

  /** Reads the room's new events; one read per room at a time. */
  #readEvents(room: string, reader: EventLogReader): void {
    const read = reader.read();
    if (read === undefined) return;
    this.#track(read.catch((error) => {
      if (!this.#closed) {
        log("warn", "kv.presence_read_failed", { room, error });
      }
    }));
  }

  /** Delivers an event another broker wrote, after checking it: anyone with access to the store could have written it. */
  #receiveEvent(room: string, value: unknown, source: unknown): void {
    if (source === this.instanceId) return;
    const event = typeof value === "string" ? parseEvent(value, room) : "shape";
    if (typeof event === "string") {
      this.metrics.drop(event, { room });
    } else if (event.type === "presence" || event.type === "typing") {
      this.#sequencer.receive(room, presenceBroadcast(event));
    } else {
      this.metrics.drop("shape", { room });
    }
  }
}
