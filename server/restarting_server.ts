/**
 * `Deno.serve`, started again after running out of file descriptors: for
 * runtimes without `Deno.serveHttp` (see tcp_server.ts), where the server
 * cannot run its own accept loop.
 *
 * At its first failed `accept()` (`EMFILE`), `Deno.serve` closes its
 * listener and rejects `finished`; unhandled, that rejection ends the
 * process. This server logs it instead and serves again on the same port
 * once descriptors are free. Serving again with none or one to spare made
 * Deno 2.9.6 panic (in its signal and stack code), so it first checks that
 * it can open {@linkcode HEADROOM} sockets.
 *
 * @module
 */
import { log } from "../observability/log.ts";

/** Descriptors that must be free before serving again. */
export const HEADROOM = 16;
/** How often to check for free descriptors while not serving. */
const RETRY_MS = 500;

/** What `Deno.serve` tells a handler, and the address the server listens on. */
export type ServingInfo = Deno.ServeHandlerInfo<Deno.NetAddr> & {
  /** The listening address: the server's end of every connection. */
  readonly localAddr: Deno.NetAddr;
};

/** Answers one request served by {@linkcode RestartingServer}. */
export type ServingHandler = (
  req: Request,
  info: ServingInfo,
) => Response | Promise<Response>;

/** Options for {@linkcode RestartingServer}. */
export interface RestartingServerOptions {
  /** Interface to listen on. */
  hostname: string;
  /** Port to listen on; 0 picks a free one, kept when serving again. */
  port: number;
  /** Called once, when the server first listens. */
  onListen?: (addr: Deno.NetAddr) => void;
}

/**
 * Whether `count` more descriptors can be opened now: opens that many
 * loopback listeners and closes them again.
 */
function haveDescriptors(count: number): boolean {
  const opened: Deno.Listener[] = [];
  try {
    for (let i = 0; i < count; i++) {
      opened.push(Deno.listen({ hostname: "127.0.0.1", port: 0 }));
    }
    return true;
  } catch {
    return false;
  } finally {
    for (const listener of opened) listener.close();
  }
}

/**
 * Serves `handler` with `Deno.serve`, and serves again whenever Deno's
 * accept loop stops on an error.
 *
 * @example Serving a request
 * ```ts
 * import assert from "node:assert/strict";
 * import { RestartingServer } from "./restarting_server.ts";
 *
 * await using server = new RestartingServer(() => new Response("hi"), {
 *   hostname: "127.0.0.1",
 *   port: 0,
 * });
 * const res = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * assert.equal(await res.text(), "hi");
 * ```
 */
export class RestartingServer implements AsyncDisposable {
  /** The address the server listens on. */
  readonly addr: Deno.NetAddr;
  #handler: ServingHandler;
  #hostname: string;
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closing = false;

  /**
   * Starts serving.
   *
   * @param handler Answers each request.
   * @param options Address and `onListen`.
   */
  constructor(
    handler: ServingHandler,
    options: RestartingServerOptions,
  ) {
    this.#handler = handler;
    this.#hostname = options.hostname;
    this.#server = this.#serve(options.port);
    this.addr = this.#server.addr;
    options.onListen?.(this.addr);
  }

  /** Stops serving; idempotent. */
  async shutdown(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#server?.shutdown();
  }

  /** Stops serving. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  #serve(port: number): Deno.HttpServer<Deno.NetAddr> {
    const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve(
      { hostname: this.#hostname, port, onListen() {} },
      (req, info): Response | Promise<Response> =>
        this.#handler(req, {
          // A getter: Deno.serve's cannot be read once a request upgrades.
          get remoteAddr() {
            return info.remoteAddr;
          },
          completed: info.completed,
          localAddr: server.addr,
        }),
    );
    server.finished.catch((error) => this.#stopped(server, error));
    return server;
  }

  #stopped(server: Deno.HttpServer<Deno.NetAddr>, error: unknown): void {
    if (this.#closing || server !== this.#server) return;
    this.#server = undefined;
    const stoppedAt = Date.now();
    log("error", "server.accept_failed", { error });
    this.#timer = setInterval(() => {
      if (!haveDescriptors(HEADROOM)) return;
      try {
        this.#server = this.#serve(this.addr.port);
      } catch {
        // The descriptors went again meanwhile: try at the next tick.
        return;
      }
      clearInterval(this.#timer);
      this.#timer = undefined;
      log("info", "server.accept_resumed", { ms: Date.now() - stoppedAt });
    }, RETRY_MS);
  }
}
