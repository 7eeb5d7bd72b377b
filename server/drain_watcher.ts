/**
 * Waits for WebSocket send buffers to drain. Deno's server sockets have no
 * backpressure (`send()` never blocks), so senders pause themselves here; one
 * shared timer polls every paused socket instead of a timer per connection.
 *
 * @module
 */
import { OPEN } from "./ready_state.ts";

/** Default for {@linkcode DrainWatcherOptions.intervalMs}. */
export const DEFAULT_DRAIN_INTERVAL_MS = 20;

/** Options for {@linkcode DrainWatcher}. */
export interface DrainWatcherOptions {
  /**
   * How often paused sockets are checked, in milliseconds.
   *
   * @default {20}
   */
  intervalMs?: number;
}

interface Waiter {
  socket: WebSocket;
  lowWaterMark: number;
  resolve: () => void;
}

/**
 * Resolves waits once a socket's `bufferedAmount` falls to a low-water mark
 * or the socket stops being open.
 *
 * @example Waiting on an idle socket returns at once
 * ```ts
 * import assert from "node:assert/strict";
 * import { DrainWatcher } from "./drain_watcher.ts";
 *
 * using watcher = new DrainWatcher();
 * const socket = { bufferedAmount: 0, readyState: WebSocket.OPEN } as WebSocket;
 * await watcher.wait(socket, 1024);
 * assert.equal(watcher.waiting, 0);
 * ```
 */
export class DrainWatcher implements Disposable {
  #waiters = new Set<Waiter>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #intervalMs: number;

  /** Creates a watcher; its timer runs only while something waits. */
  constructor(options: DrainWatcherOptions = {}) {
    this.#intervalMs = options.intervalMs ?? DEFAULT_DRAIN_INTERVAL_MS;
  }

  /** Number of sockets currently waited on. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * Waits until `socket.bufferedAmount <= lowWaterMark`, the socket is no
   * longer open, or `signal` aborts (then it rejects with the abort reason).
   *
   * @param socket The socket being written to.
   * @param lowWaterMark Buffered bytes at or below which writing may resume.
   * @param signal Stops waiting.
   */
  wait(
    socket: WebSocket,
    lowWaterMark: number,
    signal?: AbortSignal,
  ): Promise<void> {
    signal?.throwIfAborted();
    if (isDrained(socket, lowWaterMark)) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const waiter: Waiter = { socket, lowWaterMark, resolve };
    const onAbort = () => {
      this.#waiters.delete(waiter);
      reject(signal?.reason);
    };
    waiter.resolve = () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#waiters.add(waiter);
    this.#timer ??= setInterval(() => this.#poll(), this.#intervalMs);
    return promise;
  }

  /** Stops the timer and releases every waiter. */
  [Symbol.dispose](): void {
    for (const waiter of this.#waiters) waiter.resolve();
    this.#waiters.clear();
    this.#stopTimer();
  }

  #poll(): void {
    for (const waiter of this.#waiters) {
      if (!isDrained(waiter.socket, waiter.lowWaterMark)) continue;
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
    if (this.#waiters.size === 0) this.#stopTimer();
  }

  #stopTimer(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

function isDrained(socket: WebSocket, lowWaterMark: number): boolean {
  return socket.readyState !== OPEN ||
    socket.bufferedAmount <= lowWaterMark;
}
