/**
 * The control channel: moderation that must reach a user's connections on
 * every instance at once (a ban, a kick, ending all of a user's
 * connections). Each instance listens and acts on its own connections of
 * the user named. `redis/control.ts` carries events over Redis pub/sub,
 * `kv/control.ts` through Deno KV; {@linkcode MemoryControl} within one
 * process.
 *
 * Events are not stored for long: a ban holds because the store keeps it
 * (joins read it) and because every instance rechecks its members against
 * the store when the channel may have missed events.
 *
 * @module
 */

/** What the control channel carries. */
export type ControlEvent =
  /** Take the user out of the room (every room for `null`) and keep them out until `until`. */
  | { type: "ban"; userId: string; room: string | null; until: number | null }
  /** The user may use the room (every room for `null`) again. */
  | { type: "unban"; userId: string; room: string | null }
  /** Take the user out of the room now; they may join again. */
  | { type: "kick"; userId: string; room: string }
  /** Close every connection of the user. */
  | { type: "disconnect"; userId: string };

/** Who receives what the control channel carries: one per instance. */
export interface ControlListener {
  /** An event, from this instance or another. */
  event(event: ControlEvent): void;
  /**
   * Events may have been missed (the channel's link dropped and came back):
   * check what depends on them against the store.
   */
  missed?(): void;
}

/** The control channel between instances. */
export interface ControlChannel extends AsyncDisposable {
  /**
   * Sends `event` to every instance's listener, this one's included.
   *
   * @throws When the channel cannot take it; this instance's listener got it.
   */
  publish(event: ControlEvent): Promise<void>;
  /**
   * Registers this instance's listener, replacing any earlier one.
   *
   * @returns Disposing it stops the listening.
   */
  listen(listener: ControlListener): Disposable;
  /** Stops carrying events; idempotent. */
  close(): Promise<void>;
}

/**
 * The one listener a channel has on an instance, as every channel keeps it:
 * registered, replaced, removed, and handed events without letting it throw
 * into the channel.
 */
export class ListenerSlot {
  #listener: ControlListener | undefined;

  /** Registers `listener`; see {@linkcode ControlChannel.listen}. */
  listen(listener: ControlListener): Disposable {
    this.#listener = listener;
    return {
      [Symbol.dispose]: () => {
        if (this.#listener === listener) this.#listener = undefined;
      },
    };
  }

  /** Hands `event` to the listener, if any. */
  deliver(event: ControlEvent): void {
    try {
      this.#listener?.event(event);
    } catch {
      // One instance's failure to act must not stop the channel.
    }
  }

  /** Tells the listener, if any, that events may have been missed. */
  missed(): void {
    this.#listener?.missed?.();
  }

  /** Forgets the listener. */
  clear(): void {
    this.#listener = undefined;
  }
}

/**
 * {@linkcode ControlChannel} within one process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ControlEvent, MemoryControl } from "./control.ts";
 *
 * await using control = new MemoryControl();
 * const seen: ControlEvent[] = [];
 * using _ = control.listen({ event: (event) => seen.push(event) });
 * await control.publish({ type: "disconnect", userId: "bo" });
 * assert.deepEqual(seen, [{ type: "disconnect", userId: "bo" }]);
 * ```
 */
export class MemoryControl implements ControlChannel {
  #slot = new ListenerSlot();
  #closed = false;

  /** Delivers `event` to the listener at once. */
  publish(event: ControlEvent): Promise<void> {
    if (!this.#closed) this.#slot.deliver(event);
    return Promise.resolve();
  }

  /** Registers the listener; see {@linkcode ControlChannel.listen}. */
  listen(listener: ControlListener): Disposable {
    return this.#slot.listen(listener);
  }

  /** Stops delivering; idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    this.#slot.clear();
    return Promise.resolve();
  }

  /** Same as {@linkcode MemoryControl.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
