/**
 * The requests the server rate-limits (`send`, `history`, `set_name`,
 * `leave`, `edit`, `delete`, `ban`, `unban`, `kick`, `rooms`), written in
 * the order asked as the {@linkcode SendPacer} allows, and its budget
 * settled by their replies.
 *
 * @module
 */
import type { Clock } from "./backoff.ts";
import { type PacerLimits, SendPacer } from "./pacer.ts";
import type { ClientFrame, ServerFrame } from "./types.ts";

/** One connection's queue of rate-limited requests. */
export class PacedWriter {
  #clock: Clock;
  #write: (frame: ClientFrame) => boolean;
  #pacer: SendPacer | undefined;
  #queue: (() => ClientFrame | undefined)[] = [];
  #timer: unknown;
  /**
   * Requests written and not answered: nonce → what a reply without a nonce
   * names (`history:general`), since `history`, `left` and `renamed` carry none.
   */
  #unanswered = new Map<string, string>();

  /**
   * @param clock Time and timers.
   * @param write Writes a frame; `false` when there is no open connection.
   */
  constructor(clock: Clock, write: (frame: ClientFrame) => boolean) {
    this.#clock = clock;
    this.#write = write;
  }

  /** The connection is open with these limits: write what waits. */
  start(limits: PacerLimits): void {
    this.#pacer = new SendPacer(limits, () => this.#clock.now());
    this.#flush();
  }

  /** The connection dropped: its queue and budget go with it. */
  stop(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pacer = undefined;
    this.#queue = [];
    this.#unanswered.clear();
  }

  /**
   * Queues a request. `frame()` runs when it may be written; returning
   * `undefined` then skips it (it is no longer wanted).
   */
  push(frame: () => ClientFrame | undefined): void {
    this.#queue.push(frame);
    if (this.#timer === undefined) this.#flush();
  }

  /** Settles the budget when `event` answers a request of this queue. */
  replied(event: ServerFrame): void {
    switch (event.type) {
      case "ack":
      case "moderated":
      case "rooms":
        if (this.#unanswered.delete(event.nonce ?? "")) {
          this.#pacer?.settle(true);
        }
        return;
      case "error":
        if (this.#unanswered.delete(event.nonce ?? "")) {
          this.#pacer?.settle(event.code !== "rate_limited");
        }
        return;
      case "history":
      case "left":
        return this.#settleOldest(`${event.type}:${event.room}`);
      case "renamed":
        return this.#settleOldest("set_name");
    }
  }

  #settleOldest(key: string): void {
    for (const [nonce, name] of this.#unanswered) {
      if (name !== key) continue;
      this.#unanswered.delete(nonce);
      this.#pacer?.settle(true);
      return;
    }
  }

  #flush(): void {
    this.#timer = undefined;
    const pacer = this.#pacer;
    while (pacer && this.#queue.length > 0) {
      const wait = pacer.reserve();
      if (wait > 0) {
        this.#timer = this.#clock.setTimeout(() => this.#flush(), wait);
        return;
      }
      const frame = this.#queue.shift()!();
      if (frame === undefined || !this.#write(frame)) {
        pacer.release();
        continue;
      }
      const room = "room" in frame ? `:${frame.room}` : "";
      this.#unanswered.set(frame.nonce ?? "", `${frame.type}${room}`);
    }
  }
}
