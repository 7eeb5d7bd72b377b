/**
 * Whether a socket still answers: it must greet within `connectTimeout`,
 * and a probe (a `ping`, when the browser says it is back online) must get
 * its `pong` within `probeTimeout`; otherwise the client gives up on it.
 *
 * @module
 */
import type { Clock } from "./backoff.ts";

/** Options for {@linkcode Liveness}. */
export interface LivenessOptions {
  /** Time and timers. */
  clock: Clock;
  /** Milliseconds a new socket has to greet. */
  connectTimeout: number;
  /** Milliseconds a probe has to be answered. */
  probeTimeout: number;
  /** Gives up on `socket`, which did not answer in time. */
  giveUp(socket: WebSocket, reason: string): void;
  /** Checks the connection end to end; settles once the server answers. */
  ping(): Promise<unknown>;
}

/** The timers that tell a silent socket from a live one. */
export class Liveness {
  #options: LivenessOptions;
  #connectTimer: unknown;
  #probeTimer: unknown;

  /** @param options The clock, the timeouts, and what to do on one. */
  constructor(options: LivenessOptions) {
    this.#options = options;
  }

  /** `socket` was just opened: it has `connectTimeout` to greet. */
  opened(socket: WebSocket): void {
    const options = this.#options;
    this.#connectTimer = options.clock.setTimeout(
      () => options.giveUp(socket, "No greeting in time"),
      options.connectTimeout,
    );
  }

  /** The socket greeted in time. */
  greeted(): void {
    this.#options.clock.clearTimeout(this.#connectTimer);
  }

  /** Pings `socket`, unless a probe is already waiting. */
  probe(socket: WebSocket): void {
    if (this.#probeTimer !== undefined) return;
    const options = this.#options;
    this.#probeTimer = options.clock.setTimeout(
      () => options.giveUp(socket, "No answer to ping"),
      options.probeTimeout,
    );
    // A ping that fails went with its socket, and stop() is called then.
    options.ping().then(() => this.#endProbe(), () => {});
  }

  /** The socket is gone: neither timer may fire for it. */
  stop(): void {
    this.#options.clock.clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#endProbe();
  }

  /** No probe is waiting any more; the next one may start. */
  #endProbe(): void {
    this.#options.clock.clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
  }
}
