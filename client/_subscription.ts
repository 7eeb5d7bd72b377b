/**
 * A room's subscription, as a state machine: `joining` (a `join` on each
 * connection, resuming where the room left off, tried again with back-off
 * while the server's stores are down), `joined`, and `left` for good: left
 * by the caller (after a join in flight is answered), taken out by the
 * server, refused, or closed with its client.
 *
 * @module
 */
import { backoffDelay, type Clock } from "./backoff.ts";
import { ChatError } from "./errors.ts";
import { type Deferred, deferred } from "./_events.ts";
import type { RoomStatus } from "./room.ts";
import type { ClientFrame, FrameOf } from "./types.ts";

/** What a {@linkcode RoomSubscription} needs from its room. */
export interface SubscriptionHost {
  /** Time and timers, for a join tried again. */
  readonly clock: Clock;
  /** A fresh nonce for a request. */
  nonce(): string;
  /** Writes a request the server does not rate-limit; `false` when offline. */
  write(frame: ClientFrame): boolean;
  /** Writes a rate-limited request once the budget allows, unless `frame()` then returns `undefined`. */
  paced(frame: () => ClientFrame | undefined): void;
  /** Where a join resumes from: `since` and `epoch`, or none. */
  resumeFrom(): { since?: number; epoch?: string };
  /** Joined on this connection: what waited may go. */
  live(): void;
  /** The connection dropped: what was in flight waits for the next. */
  paused(): void;
  /** The room ended for good, with `error` when refused. */
  ended(error?: ChatError): void;
}

/** Where one room stands with the server. */
export class RoomSubscription {
  #room: string;
  #host: SubscriptionHost;
  #status: RoomStatus = "joining";
  /** Joined on the current connection. */
  #live = false;
  #joinNonce: string | undefined;
  #joinTimer: unknown;
  #retries = 0;
  #leaving: Deferred<void> | undefined;
  #leaveNonce: string | undefined;

  /**
   * @param room The room's name.
   * @param host The writers and the rest of the room.
   */
  constructor(room: string, host: SubscriptionHost) {
    this.#room = room;
    this.#host = host;
  }

  /** `joining` until the server confirms (and while reconnecting), `left` at the end. */
  get status(): RoomStatus {
    return this.#status;
  }

  /** Whether the room is joined on the current connection. */
  get live(): boolean {
    return this.#live;
  }

  /** The connection is ready: join, resuming after the last message. */
  connected(): void {
    if (this.#leaving) return this.end();
    this.#host.clock.clearTimeout(this.#joinTimer);
    this.#joinTimer = undefined;
    this.#joinNonce = this.#host.nonce();
    this.#host.write({
      type: "join",
      room: this.#room,
      nonce: this.#joinNonce,
      ...this.#host.resumeFrom(),
    });
  }

  /** The connection dropped: the next one joins again. */
  disconnected(): void {
    if (this.#status === "left") return;
    if (this.#leaving) return this.end();
    this.#live = false;
    this.#status = "joining";
    this.#joinNonce = undefined;
    this.#host.clock.clearTimeout(this.#joinTimer);
    this.#joinTimer = undefined;
    this.#host.paused();
  }

  /**
   * The server's `joined`.
   *
   * @returns Whether the room stays: `false` when a `leave()` waited for it.
   */
  joined(): boolean {
    this.#joinNonce = undefined;
    this.#becomeLive();
    if (!this.#leaving) return true;
    this.#sendLeave();
    return false;
  }

  /**
   * Leaves the room: now, after the join in flight, or at once offline.
   *
   * @returns Resolves once the room has ended.
   */
  leave(): Promise<void> {
    if (this.#status === "left") return Promise.resolve();
    if (!this.#leaving) {
      this.#leaving = deferred();
      if (this.#live) this.#sendLeave();
      // A join in flight is answered first; the leave follows it.
      else if (this.#joinNonce === undefined) this.end();
    }
    return this.#leaving.promise;
  }

  /**
   * Handles an `error` answering this room's `join` or `leave`.
   *
   * @returns Whether it did.
   */
  refused(error: FrameOf<"error">): boolean {
    const { nonce, code, message } = error;
    if (nonce === undefined) return false;
    if (nonce === this.#joinNonce) {
      this.#joinNonce = undefined;
      if (code === "unavailable") {
        this.#joinTimer = this.#host.clock.setTimeout(
          () => this.connected(),
          backoffDelay(this.#retries++),
        );
      } else if (code === "already_joined") {
        this.#becomeLive();
      } else {
        this.end(new ChatError(code, message));
      }
      return true;
    }
    if (nonce !== this.#leaveNonce) return false;
    this.end();
    return true;
  }

  /** Ends the room for good (with `error` when refused). Idempotent. */
  end(error?: ChatError): void {
    if (this.#status === "left") return;
    this.#status = "left";
    this.#live = false;
    this.#host.clock.clearTimeout(this.#joinTimer);
    this.#host.ended(error);
    this.#leaving?.resolve();
  }

  #becomeLive(): void {
    this.#live = true;
    this.#status = "joined";
    this.#retries = 0;
    this.#host.live();
  }

  #sendLeave(): void {
    const nonce = this.#leaveNonce = this.#host.nonce();
    this.#host.paced(() =>
      this.#live ? { type: "leave", room: this.#room, nonce } : undefined
    );
  }
}
