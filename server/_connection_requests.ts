/**
 * The requests of each accepted connection, for tcp_server.ts: served one
 * after another by `Deno.serveHttp` under the request deadline until the
 * connection closes, times out or upgrades, and the connections still
 * speaking HTTP, which shutdown closes.
 *
 * @module
 */
import { log } from "../observability/log.ts";
import { closeQuietly, type HttpConnection, serveHttp } from "./_serve_http.ts";

/** What the server tells a handler about the connection a request came on. */
export interface ConnectionInfo {
  /** The client's address. */
  readonly remoteAddr: Deno.NetAddr;
  /** The server's end of the connection. */
  readonly localAddr?: Deno.NetAddr;
  /**
   * Keeps the connection counted against its address until `done` settles:
   * a WebSocket outlives the request that opened it.
   */
  holdUntil(done: Promise<unknown>): void;
}

/** Answers one request; `info` describes its connection. */
export type TcpHandler = (
  req: Request,
  info: ConnectionInfo,
) => Response | Promise<Response>;

/** What an upgraded connection's slot waits for (wrapped: a bare promise would be awaited). */
export interface Held {
  /** Settles when the upgraded connection ends. */
  until: Promise<unknown>;
}

/** Serves the requests of accepted connections and closes those not upgraded. */
export class ConnectionRequests {
  #handler: TcpHandler;
  #handshakeTimeout: number;
  /** Connections still speaking HTTP (not upgraded), closed on shutdown. */
  #http = new Set<HttpConnection>();

  /**
   * Answers requests with `handler` under a deadline of `handshakeTimeout`.
   *
   * @param handler Answers each request.
   * @param handshakeTimeout Milliseconds a connection may take to send a
   *   request and receive its response, or stay idle between requests,
   *   before it is closed.
   */
  constructor(handler: TcpHandler, handshakeTimeout: number) {
    this.#handler = handler;
    this.#handshakeTimeout = handshakeTimeout;
  }

  /** Closes every connection still speaking HTTP; upgraded ones are their owner's. */
  closeAll(): void {
    for (const http of this.#http) closeQuietly(http);
  }

  /**
   * Serves the requests of one connection until it closes, times out or
   * upgrades.
   *
   * @param conn The accepted connection.
   * @param addresses Its two ends, as handlers see them.
   * @returns What the connection's slot waits for after an upgrade.
   * @throws {Error} When the connection cannot be set up (a socket already reset).
   */
  async serve(
    conn: Deno.TcpConn,
    addresses: Pick<ConnectionInfo, "remoteAddr" | "localAddr">,
  ): Promise<Held | undefined> {
    // Nagle's algorithm would hold small frames back for a delayed ACK.
    conn.setNoDelay(true);
    const http = serveHttp!(conn);
    this.#http.add(http);
    let timer = setTimeout(
      () => closeQuietly(http),
      this.#handshakeTimeout,
    );
    let held: Held | undefined;
    const info: ConnectionInfo = {
      ...addresses,
      holdUntil: (until) => void (held = { until }),
    };
    try {
      for await (const event of http) {
        let response: Response;
        try {
          response = await this.#handler(event.request, info);
        } catch (error) {
          log("error", "http.unhandled", { url: event.request.url, error });
          response = new Response("Internal server error\n", { status: 500 });
        }
        try {
          await event.respondWith(response);
        } catch (error) {
          // The client went away before its response was written.
          log("debug", "http.respond_failed", { error });
          held = undefined;
          break;
        }
        clearTimeout(timer);
        if (response.status === 101) return held;
        held = undefined;
        timer = setTimeout(
          () => closeQuietly(http),
          this.#handshakeTimeout,
        );
      }
    } catch (error) {
      // A connection that broke off mid-request.
      log("debug", "http.connection_failed", { error });
    } finally {
      clearTimeout(timer);
      this.#http.delete(http);
    }
    return undefined;
  }
}
