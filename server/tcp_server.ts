/**
 * Serves HTTP and WebSocket upgrades on connections the process accepts
 * itself, to do what `Deno.serve` cannot (measured on Deno 2.9.6): close a
 * connection that does not finish its request in time, cap the connections
 * of one client address, and keep accepting after the process runs out of
 * file descriptors. `Deno.serve` has no header or idle timeout, sees no
 * connection before its first request, and ends its accept loop (and the
 * process, through an unhandled rejection) at the first `EMFILE`.
 *
 * Each accepted connection is served by `Deno.serveHttp`, which Deno 2 left
 * out of its types but still ships; `Deno.upgradeWebSocket` works on its
 * requests as on `Deno.serve`'s, at the same CPU cost per message.
 *
 * @module
 */
import { log } from "../observability/log.ts";
import { AddressSlots } from "./_address_slots.ts";
import {
  ConnectionRequests,
  type Held,
  type TcpHandler,
} from "./_connection_requests.ts";
import { canServeTcp, closeConn, refuse } from "./_serve_http.ts";

export { canServeTcp };
export type { ConnectionInfo, TcpHandler } from "./_connection_requests.ts";

/** Options for {@linkcode TcpServer}. */
export interface TcpServerOptions {
  /** Interface to listen on. */
  hostname: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /**
   * Milliseconds a connection may take to send a request and receive its
   * response, or stay idle between requests, before it is closed.
   */
  handshakeTimeout: number;
  /** Open connections allowed from one IP address; 0 allows any number. */
  maxConnectionsPerAddress: number;
  /** Called once the server listens. */
  onListen?: (addr: Deno.NetAddr) => void;
}

/** First pause after a failed `accept()`, doubled up to the longest. */
const ACCEPT_RETRY_MS = 50;
const ACCEPT_RETRY_MAX_MS = 1000;

/**
 * An HTTP server on its own accept loop: per-address connection cap,
 * request deadline, and an accept loop that outlives `EMFILE`.
 *
 * @example Serving a request
 * ```ts
 * import assert from "node:assert/strict";
 * import { TcpServer } from "./tcp_server.ts";
 *
 * await using server = new TcpServer(() => new Response("hi"), {
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   handshakeTimeout: 1000,
 *   maxConnectionsPerAddress: 8,
 * });
 * const res = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * assert.equal(await res.text(), "hi");
 * ```
 */
export class TcpServer implements AsyncDisposable {
  /** The address the server listens on. */
  readonly addr: Deno.NetAddr;
  /** Settles once the server has shut down and its connections ended. */
  readonly finished: Promise<void>;
  #listener: Deno.TcpListener;
  #slots: AddressSlots;
  #requests: ConnectionRequests;
  #tasks = new Set<Promise<void>>();
  #closing = false;
  #retry:
    | { timer: ReturnType<typeof setTimeout>; resolve: () => void }
    | undefined;

  /**
   * Listens on `options.hostname`:`options.port` and serves `handler`.
   *
   * @param handler Answers each request.
   * @param options Address, limits and `onListen`.
   * @throws {TypeError} When the runtime has no `Deno.serveHttp` (see
   *   {@linkcode canServeTcp}).
   */
  constructor(handler: TcpHandler, options: TcpServerOptions) {
    if (!canServeTcp()) {
      throw new TypeError(
        "Cannot serve on an own accept loop: this runtime has no Deno.serveHttp",
      );
    }
    this.#slots = new AddressSlots(options.maxConnectionsPerAddress);
    this.#requests = new ConnectionRequests(handler, options.handshakeTimeout);
    this.#listener = Deno.listen({
      hostname: options.hostname,
      port: options.port,
    });
    this.addr = this.#listener.addr;
    options.onListen?.(this.addr);
    this.finished = this.#acceptLoop();
  }

  /** TCP connections open now, upgraded or not. */
  get connectionCount(): number {
    return this.#slots.size;
  }

  /**
   * Stops accepting and closes every connection still speaking HTTP; open
   * WebSockets are their owner's to close. Idempotent.
   */
  async shutdown(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#listener.close();
      if (this.#retry) {
        clearTimeout(this.#retry.timer);
        this.#retry.resolve();
      }
      this.#requests.closeAll();
    }
    await this.finished;
  }

  /** Shuts the server down. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  async #acceptLoop(): Promise<void> {
    let failures = 0;
    let failedAt = 0;
    let pause = ACCEPT_RETRY_MS;
    while (!this.#closing) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closing) break;
        // Out of descriptors (EMFILE) or another passing failure: the
        // listener still works once the cause goes, so wait and retry.
        if (failures++ === 0) {
          failedAt = Date.now();
          log("error", "server.accept_failed", { error });
        }
        await this.#pause(pause);
        pause = Math.min(pause * 2, ACCEPT_RETRY_MAX_MS);
        continue;
      }
      if (failures > 0) {
        log("info", "server.accept_resumed", {
          failures,
          ms: Date.now() - failedAt,
        });
        failures = 0;
        pause = ACCEPT_RETRY_MS;
      }
      const task = this.#serve(conn);
      this.#tasks.add(task);
      task.finally(() => this.#tasks.delete(task));
    }
    await Promise.all(this.#tasks);
  }

  #pause(ms: number): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#retry = {
      timer: setTimeout(() => {
        this.#retry = undefined;
        resolve();
      }, ms),
      resolve,
    };
    return promise;
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    const remoteAddr = conn.remoteAddr;
    const address = remoteAddr.hostname;
    if (!this.#slots.take(address)) {
      await refuse(conn);
      return;
    }
    let held: Held | undefined;
    try {
      held = await this.#requests.serve(conn, {
        remoteAddr,
        localAddr: conn.localAddr,
      });
    } catch (error) {
      // The client went away before it could be served (setNoDelay fails on
      // a socket already reset).
      log("debug", "http.connection_failed", { error });
      closeConn(conn);
    } finally {
      const release = () => this.#slots.release(address);
      if (held) held.until.then(release, release);
      else release();
    }
  }
}
