/**
 * A room's outbox on the wire: its unacknowledged messages, written one at a
 * time in order, each again with its nonce after a drop, until the server
 * stores it or refuses it for good.
 *
 * @module
 */
import { backoffDelay, type Clock } from "./backoff.ts";
import type { ChatError } from "./errors.ts";
import { type Deferred, deferred } from "./_events.ts";
import type { Outbox } from "./outbox.ts";
import type { PendingMessage } from "./room.ts";
import type { Ack, ClientFrame, ServerFrame } from "./types.ts";

/** What a sender needs from its room and client. */
export interface SenderHost {
  readonly clock: Clock;
  readonly outbox: Outbox;
  /** Writes a rate-limited request once the budget allows, unless `frame()` then returns `undefined`. */
  paced(frame: () => ClientFrame | undefined): void;
  /** The list of pending messages changed. */
  changed(pending: readonly PendingMessage[]): void;
}

/** The sending half of one room. */
export class RoomSender {
  #room: string;
  #host: SenderHost;
  #pending: PendingMessage[];
  #waiters = new Map<string, Deferred<Ack>>();
  /** The room is joined on the current connection. */
  #live = false;
  #inFlight: string | undefined;
  #retries = 0;
  #retryTimer: unknown;

  /** Starts with what the outbox holds for `room`. */
  constructor(room: string, host: SenderHost) {
    this.#room = room;
    this.#host = host;
    this.#pending = host.outbox.entries()
      .filter((entry) => entry.room === room)
      .map((entry) => ({ ...entry, status: "waiting" }));
  }

  /** Copies of the messages waiting, oldest first. */
  get pending(): readonly PendingMessage[] {
    return this.#pending.map((entry) => ({ ...entry }));
  }

  /** Puts a message in the outbox; resolves on its `ack`. */
  send(text: string): Promise<Ack> {
    const entry: PendingMessage = {
      nonce: crypto.randomUUID(),
      room: this.#room,
      text,
      createdAt: this.#host.clock.now(),
      status: "waiting",
    };
    const { status: _, ...stored } = entry;
    try {
      this.#host.outbox.add(stored);
    } catch (error) {
      return Promise.reject(error);
    }
    const ack = deferred<Ack>();
    this.#waiters.set(entry.nonce, ack);
    this.#pending.push(entry);
    this.#changed();
    this.#pump();
    return ack.promise;
  }

  /** The room is joined on this connection: send what waits. */
  resume(): void {
    this.#live = true;
    this.#pump();
  }

  /** The connection dropped: what was in flight goes again on the next. */
  pause(): void {
    this.#live = false;
    this.#inFlight = undefined;
    this.#host.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#pending.some((entry) => entry.status === "sending")) {
      for (const entry of this.#pending) entry.status = "waiting";
      this.#changed();
    }
  }

  /** The server stored a message (or had it already). */
  acked(event: Extract<ServerFrame, { type: "ack" }>): void {
    const nonce = event.nonce ?? "";
    this.#host.outbox.delete(nonce);
    const index = this.#pending.findIndex((entry) => entry.nonce === nonce);
    if (index >= 0) this.#pending.splice(index, 1);
    const { id, room, ts, duplicate } = event;
    this.#waiters.get(nonce)?.resolve({ id, room, ts, duplicate, nonce });
    this.#waiters.delete(nonce);
    if (this.#inFlight === nonce) {
      this.#inFlight = undefined;
      this.#retries = 0;
    }
    if (index >= 0) this.#changed();
    this.#pump();
  }

  /**
   * Handles an `error` for the message in flight: the rate limit and a
   * store that is down are waited out, anything else drops the message.
   *
   * @returns Whether `nonce` was the message in flight.
   */
  refused(nonce: string, error: ChatError): boolean {
    if (nonce !== this.#inFlight) return false;
    this.#inFlight = undefined;
    const entry = this.#pending.find((pending) => pending.nonce === nonce);
    if (entry) entry.status = "waiting";
    if (error.code === "rate_limited") {
      // The pacer now waits for the server's bucket to refill.
      this.#pump();
    } else if (error.code === "unavailable" || error.code === "not_joined") {
      this.#retryTimer = this.#host.clock.setTimeout(() => {
        this.#retryTimer = undefined;
        this.#pump();
      }, backoffDelay(this.#retries++));
    } else {
      // Refused for good: sending it again would be refused again.
      this.#pending = this.#pending.filter((pending) => pending !== entry);
      this.#host.outbox.delete(nonce);
      this.#waiters.get(nonce)?.reject(error);
      this.#waiters.delete(nonce);
      this.#pump();
    }
    this.#changed();
    return true;
  }

  /** Stops for good: waiting sends reject with `error`; the outbox keeps them. */
  close(error: ChatError): void {
    this.pause();
    for (const waiter of this.#waiters.values()) waiter.reject(error);
    this.#waiters.clear();
  }

  /**
   * Writes the oldest pending message, one at a time: a message is written
   * only after the one before it was stored, so a refusal (rate limit,
   * store down) can never let a later message overtake it.
   */
  #pump(): void {
    if (!this.#live || this.#inFlight !== undefined) return;
    if (this.#retryTimer !== undefined) return;
    const entry = this.#pending[0];
    if (!entry) return;
    this.#inFlight = entry.nonce;
    this.#host.paced(() => {
      if (this.#inFlight !== entry.nonce || !this.#live) return undefined;
      entry.status = "sending";
      this.#changed();
      const { nonce, text } = entry;
      return { type: "send", room: this.#room, text, nonce };
    });
  }

  #changed(): void {
    this.#host.changed(this.pending);
  }
}
