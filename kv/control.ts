/**
 * {@linkcode ControlChannel} through Deno KV, for isolates that share one
 * database (Deno Deploy): events go into a short-lived log (`event_log.ts`)
 * under `["control_head"]` and `["control_log", n]`, which every process
 * watches and reads from where it stopped, so none is missed while it stays
 * in the log.
 *
 * @module
 */
import type { BusMetrics } from "../chat/bus_metrics.ts";
import {
  type ControlChannel,
  type ControlEvent,
  type ControlListener,
  ListenerSlot,
} from "../chat/control.ts";
import { parseControlEvent } from "../chat/parse_moderation.ts";
import { log } from "../observability/log.ts";
import { appendEvent, type EventLogKeys, EventLogReader } from "./event_log.ts";

/** Milliseconds a control event stays in the log: far longer than a watch takes to notice it. */
export const CONTROL_EVENT_TTL_MS = 60_000;

const KEYS: EventLogKeys = { head: ["control_head"], entries: ["control_log"] };

/** Options for {@linkcode KvControl}. */
export interface KvControlOptions {
  /** Where events in the log that are not valid are counted. */
  metrics?: BusMetrics;
}

/**
 * Control events between isolates that share one Deno KV.
 *
 * @example Two handles on one database
 * ```ts
 * import assert from "node:assert/strict";
 * import { KvControl } from "./control.ts";
 *
 * const kv = await Deno.openKv(":memory:");
 * await using a = new KvControl(kv);
 * await using b = new KvControl(kv);
 * const heard = Promise.withResolvers<unknown>();
 * using _ = b.listen({ event: heard.resolve });
 * await b.ready;
 * await a.publish({ type: "disconnect", userId: "bo" });
 * assert.deepEqual(await heard.promise, { type: "disconnect", userId: "bo" });
 * await Promise.all([a.close(), b.close()]);
 * kv.close();
 * ```
 */
export class KvControl implements ControlChannel {
  /** This process's id in the events it writes. */
  readonly instanceId: string = crypto.randomUUID();
  /** Settles once this process watches the log, so events from then on reach it. */
  readonly ready: Promise<void>;
  #kv: Promise<Deno.Kv>;
  #metrics?: BusMetrics;
  #slot = new ListenerSlot();
  #reader: EventLogReader | undefined;
  #stopWatch: (() => void) | undefined;
  #running = new Set<Promise<void>>();
  #closed = false;

  /** Starts watching the log of `kv` (the history's database; the history closes it). */
  constructor(kv: Deno.Kv | Promise<Deno.Kv>, options: KvControlOptions = {}) {
    this.#kv = Promise.resolve(kv);
    this.#metrics = options.metrics;
    this.ready = this.#watch();
    this.ready.catch((error) =>
      log("warn", "kv.control_watch_failed", { error })
    );
  }

  /** Delivers `event` here at once and appends it for the other processes. */
  async publish(event: ControlEvent): Promise<void> {
    if (this.#closed) return;
    this.#slot.deliver(event);
    await appendEvent(
      await this.#kv,
      KEYS,
      { value: event, source: this.instanceId },
      CONTROL_EVENT_TTL_MS,
    );
  }

  /** Registers the listener; see {@linkcode ControlChannel.listen}. */
  listen(listener: ControlListener): Disposable {
    return this.#slot.listen(listener);
  }

  /** Stops watching; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#slot.clear();
    if (this.#reader) this.#reader.stopped = true;
    await this.ready.catch(() => {});
    this.#stopWatch?.();
    await Promise.all(this.#running);
  }

  /** Same as {@linkcode KvControl.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #watch(): Promise<void> {
    const kv = await this.#kv;
    const reader = new EventLogReader(
      kv,
      KEYS,
      (value, source) => this.#receive(value, source),
    );
    await reader.start();
    if (this.#closed) return;
    this.#reader = reader;
    const watch = kv.watch([KEYS.head]).getReader();
    this.#stopWatch = () => void watch.cancel().catch(() => {});
    this.#track((async () => {
      try {
        while (!(await watch.read()).done) this.#read(reader);
      } catch (error) {
        if (!this.#closed) log("warn", "kv.control_watch_failed", { error });
      } finally {
        watch.releaseLock();
      }
    })());
  }

  #read(reader: EventLogReader): void {
    const read = reader.read();
    if (read === undefined) return;
    this.#track(read.catch((error) => {
      if (!this.#closed) log("warn", "kv.control_read_failed", { error });
    }));
  }

  #receive(value: unknown, source: unknown): void {
    if (source === this.instanceId) return;
    const event = parseControlEvent(value);
    if (event === undefined) this.#metrics?.drop("shape", { log: "control" });
    else this.#slot.deliver(event);
  }

  #track(work: Promise<void>): void {
    this.#running.add(work);
    work.finally(() => this.#running.delete(work));
  }
}
