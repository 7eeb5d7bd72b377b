/**
 * Tears TCP sockets down from a worker, for sockets Deno cannot end.
 *
 * A socket whose peer stops reading stays CLOSING after `close()` until the
 * peer goes: Deno fires `close` only once the data queued for the peer is
 * written, and nothing in its API aborts a socket (docs/operations.md,
 * "Frozen clients"). The worker finds such a socket among the process's
 * descriptors and resets it through the C library (`_socket_calls.ts`),
 * so finding it never blocks the event loop. That takes `--allow-ffi`,
 * which is as good as every permission; hence an opt-in setting
 * (`CHAT_SOCKET_REAPER`).
 *
 * @module
 */

/** One end of a TCP connection. */
export interface SocketAddress {
  /** IPv4 or IPv6 address. */
  hostname: string;
  /** TCP port. */
  port: number;
}

/** The two ends of a TCP connection, as this process sees them. */
export interface SocketEnds {
  /** The peer's end. */
  remote: SocketAddress;
  /**
   * This process's end; absent matches any. A hostname of `0.0.0.0` or
   * `::` matches any address on its port.
   */
  local?: SocketAddress;
}

/** What became of one socket. */
export interface TeardownResult {
  /** Reset; not among the descriptors (gone already); or a call failed. */
  outcome: "torn_down" | "not_found" | "failed";
  /** For `failed`: the call and its errno. */
  error?: string;
}

/** What one batch did. */
export interface TeardownReport {
  /** One per socket asked for, in order. */
  results: TeardownResult[];
  /** Descriptors the worker looked at. */
  descriptors: number;
  /** Milliseconds the worker took, off the main thread. */
  ms: number;
}

/** A batch for the worker. */
export interface TeardownRequest {
  id: number;
  targets: readonly SocketEnds[];
}

/** What the worker sends back. */
export type WorkerReply =
  | { type: "ready" }
  | { type: "failed"; message: string }
  | { type: "report"; id: number; report: TeardownReport }
  | { type: "error"; id: number; message: string };

/** The worker's module, then the one it imports. */
const WORKER_MODULES = [
  new URL("./_teardown_worker.ts", import.meta.url),
  new URL("./_socket_calls.ts", import.meta.url),
] as const;

/** What the worker lacks to start, in words; `undefined` when nothing. */
function missingPermission(): string | undefined {
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return "--allow-ffi is not granted";
  }
  for (const module of WORKER_MODULES) {
    if (module.protocol !== "file:") continue;
    const path = module.pathname;
    if (
      Deno.permissions.querySync({ name: "read", path }).state !== "granted"
    ) {
      return `--allow-read does not cover "${path}"`;
    }
  }
  return undefined;
}

/**
 * A worker that tears TCP sockets of this process down by their ends
 * (Linux, `--allow-ffi`).
 *
 * @example Ending a connection by its ends
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketTeardown } from "./socket_teardown.ts";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * using client = await Deno.connect({ port: listener.addr.port });
 * using accepted = await listener.accept();
 * using teardown = new SocketTeardown();
 * await teardown.ready();
 * const { results } = await teardown.tearDown([
 *   { remote: accepted.remoteAddr, local: accepted.localAddr },
 * ]);
 * assert.equal(results[0]?.outcome, "torn_down");
 * // Both ends see it end; the last close of the socket then resets it.
 * assert.equal(await accepted.read(new Uint8Array(1)), null);
 * assert.equal(await client.read(new Uint8Array(1)), null);
 * ```
 */
export class SocketTeardown implements Disposable {
  readonly #worker: Worker | undefined;
  readonly #ready = Promise.withResolvers<void>();
  readonly #pending = new Map<number, PromiseWithResolvers<TeardownReport>>();
  #nextId = 0;
  #failure: Error | undefined;

  /**
   * Starts the worker; {@linkcode SocketTeardown.ready} says whether it
   * can work.
   */
  constructor() {
    // Awaited by ready(); a caller that never asks must not see it unhandled.
    this.#ready.promise.catch(() => {});
    const missing = missingPermission();
    if (missing) {
      this.#fail(new Deno.errors.NotCapable(missing));
      return;
    }
    this.#worker = new Worker(WORKER_MODULES[0], { type: "module" });
    // Replies come from our own worker, in the shape it declares.
    this.#worker.onmessage = (event: MessageEvent<WorkerReply>) =>
      this.#receive(event.data);
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(new Error(`The teardown worker failed: ${event.message}`));
    };
  }

  /**
   * Resolves once the worker has opened the C library.
   *
   * @throws {Deno.errors.NotCapable} Without `--allow-ffi`, or without
   *   `--allow-read` for the worker's modules.
   * @throws {Error} When the worker cannot start (off Linux, say).
   */
  ready(): Promise<void> {
    return this.#ready.promise;
  }

  /**
   * Tears down the sockets with `targets`' ends; batches run one at a time.
   *
   * @param targets The sockets' ends.
   * @returns What became of each socket.
   * @throws {Error} When the worker has failed or was disposed of.
   */
  tearDown(targets: readonly SocketEnds[]): Promise<TeardownReport> {
    if (this.#failure || !this.#worker) {
      return Promise.reject(this.#failure);
    }
    const id = this.#nextId++;
    const reply = Promise.withResolvers<TeardownReport>();
    this.#pending.set(id, reply);
    const request: TeardownRequest = { id, targets };
    this.#worker.postMessage(request);
    return reply.promise;
  }

  /** Stops the worker; batches still running reject. Idempotent. */
  [Symbol.dispose](): void {
    this.#fail(new Error("The teardown worker has stopped"));
  }

  #receive(reply: WorkerReply): void {
    if (reply.type === "ready") return this.#ready.resolve();
    if (reply.type === "failed") {
      return this.#fail(
        new Error(`Cannot tear sockets down: ${reply.message}`),
      );
    }
    const pending = this.#pending.get(reply.id);
    this.#pending.delete(reply.id);
    if (reply.type === "report") pending?.resolve(reply.report);
    else {pending?.reject(
        new Error(`Cannot tear sockets down: ${reply.message}`),
      );}
  }

  #fail(error: Error): void {
    this.#worker?.terminate();
    this.#failure ??= error;
    this.#ready.reject(this.#failure);
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}
