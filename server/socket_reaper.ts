/**
 * Tears down the TCP socket of a connection the server has ended once its
 * close has not completed within a grace period (`CHAT_CLOSE_TIMEOUT`), so
 * that a peer that never reads cannot hold a socket, its descriptor and its
 * buffers for as long as it likes (`CHAT_SOCKET_REAPER`).
 *
 * Every watched socket has the same grace, so deadlines come in the order
 * sockets are watched: one timer, set for the oldest, serves them all, and
 * the sockets due together go to the teardown as one batch (one walk of the
 * descriptors).
 *
 * @module
 */
import { log } from "../observability/log.ts";
import { ConfigError } from "./config.ts";
import {
  type SocketEnds,
  SocketTeardown,
  type TeardownReport,
} from "./socket_teardown.ts";

/** What tears sockets down: a {@linkcode SocketTeardown}, or a stand-in. */
export interface Teardown {
  /** Tears down the sockets with `targets`' ends. */
  tearDown(targets: readonly SocketEnds[]): Promise<TeardownReport>;
  /** Resolves once it can work; rejects when it cannot. */
  ready?(): Promise<void>;
}

/** Time and timers, for tests to step. */
export interface ReaperClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Calls `callback` once after `delay` milliseconds. */
  setTimeout(callback: () => void, delay: number): unknown;
  /** Cancels a timer from `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** Options for {@linkcode SocketReaper}. */
export interface SocketReaperOptions {
  /** Milliseconds a watched socket may take to close before it is torn down. */
  graceMs: number;
  /**
   * Tears the sockets down; the reaper disposes of the one it makes.
   *
   * @default {new SocketTeardown()}
   */
  teardown?: Teardown;
  /** Called once for each socket torn down (for `/metrics`). */
  onTornDown?: () => void;
  /**
   * Time and timers.
   *
   * @default {"performance.now and the global timers"}
   */
  clock?: ReaperClock;
}

/** A socket waiting for its close or its deadline. */
interface Watched {
  id: string;
  ends: SocketEnds;
  deadline: number;
}

const SYSTEM_CLOCK: ReaperClock = {
  now: () => performance.now(),
  setTimeout: (callback, delay) => setTimeout(callback, delay),
  clearTimeout: (handle) =>
    clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Watches the sockets of ended connections and tears down those still open
 * after the grace period.
 *
 * @example A socket that does not close in time is torn down
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketReaper } from "./socket_reaper.ts";
 *
 * const torn = Promise.withResolvers<string>();
 * using reaper = new SocketReaper({
 *   graceMs: 10,
 *   teardown: {
 *     tearDown(targets) {
 *       torn.resolve(targets[0]!.remote.hostname);
 *       return Promise.resolve({
 *         results: [{ outcome: "torn_down" }],
 *         descriptors: 1,
 *         ms: 0,
 *       });
 *     },
 *   },
 * });
 * const remote = { hostname: "192.0.2.1", port: 50_000 };
 * reaper.watch("c1", { remote }, new Promise(() => {}));
 * assert.equal(await torn.promise, "192.0.2.1");
 * assert.equal(reaper.watching, 0);
 * ```
 */
export class SocketReaper implements Disposable {
  readonly #options: SocketReaperOptions;
  readonly #teardown: Teardown;
  /** The teardown the reaper made, and so disposes of. */
  readonly #owned: SocketTeardown | undefined;
  readonly #clock: ReaperClock;
  /** In deadline order, which is the order of watching. */
  readonly #watched = new Set<Watched>();
  #timer: unknown;
  #disposed = false;

  /** Creates a reaper; it runs only while it watches sockets. */
  constructor(options: SocketReaperOptions) {
    this.#options = options;
    this.#owned = options.teardown ? undefined : new SocketTeardown();
    this.#teardown = options.teardown ?? this.#owned!;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
  }

  /**
   * Resolves once sockets can be torn down.
   *
   * @throws {ConfigError} When they cannot: without `--allow-ffi`, or off
   *   Linux.
   */
  async ready(): Promise<void> {
    try {
      await this.#teardown.ready?.();
    } catch (cause) {
      const detail = cause instanceof Deno.errors.NotCapable
        ? `${cause.message}; run deno task start:reaper, or grant it to deno run`
        : cause instanceof Error
        ? cause.message
        : String(cause);
      throw new ConfigError(`Cannot turn CHAT_SOCKET_REAPER on: ${detail}`, {
        cause,
      });
    }
  }

  /** Sockets watched now, not yet closed or handed to the teardown. */
  get watching(): number {
    return this.#watched.size;
  }

  /**
   * Watches the socket of an ended connection: unless `closed` settles
   * within the grace period, the socket is torn down.
   *
   * @param id The connection's id, for the log.
   * @param ends The socket's ends.
   * @param closed Settles when the socket has closed.
   */
  watch(id: string, ends: SocketEnds, closed: Promise<unknown>): void {
    if (this.#disposed) return;
    const watched = {
      id,
      ends,
      deadline: this.#clock.now() + this.#options.graceMs,
    };
    this.#watched.add(watched);
    const forget = () => void this.#watched.delete(watched);
    closed.then(forget, forget);
    this.#arm();
  }

  /** Stops watching; a batch already handed over still runs. Idempotent. */
  [Symbol.dispose](): void {
    this.#owned?.[Symbol.dispose]();
    this.#disposed = true;
    this.#watched.clear();
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    const [oldest] = this.#watched;
    if (this.#timer !== undefined || !oldest) return;
    const delay = Math.max(0, oldest.deadline - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#reap();
    }, delay);
  }

  #reap(): void {
    const now = this.#clock.now();
    const due: Watched[] = [];
    for (const watched of this.#watched) {
      if (watched.deadline > now) break;
      due.push(watched);
      this.#watched.delete(watched);
    }
    this.#arm();
    if (due.length === 0) return;
    this.#teardown.tearDown(due.map((watched) => watched.ends)).then(
      (report) => this.#report(due, report),
      (error) => {
        // Disposing of the reaper stops its worker, batch and all.
        if (!this.#disposed) log("error", "reaper.failed", { error });
      },
    );
  }

  #report(due: readonly Watched[], report: TeardownReport): void {
    due.forEach(({ id }, index) => {
      const result = report.results[index];
      if (result?.outcome === "torn_down") {
        this.#options.onTornDown?.();
        log("info", "connection.torn_down", { id, workerMs: report.ms });
      } else if (result?.outcome === "failed") {
        log("warn", "connection.teardown_failed", { id, error: result.error });
      } else log("debug", "connection.teardown_not_found", { id });
    });
  }
}
