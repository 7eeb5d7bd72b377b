/**
 * The WebSocket connections a request handler owns, for `handler.ts`: the
 * upgrade of `/ws` into a {@linkcode Connection}, the sockets still open,
 * waiting on their count, and closing them all at shutdown.
 *
 * @module
 */
import type { Chat } from "../chat/chat.ts";
import type { Moderator } from "../chat/moderator.ts";
import { log } from "../observability/log.ts";
import type { ChatMetrics } from "./chat_metrics.ts";
import { ClosingSweep } from "./closing_sweep.ts";
import type { Config } from "./config.ts";
import { Connection } from "./connection.ts";
import type { DrainWatcher } from "./drain_watcher.ts";
import { guestIdentity, type Identity } from "./identity.ts";
import { CloseCode, ProtocolError } from "./protocol.ts";
import type { SignIn } from "./sign_in.ts";
import type { SocketReaper } from "./socket_reaper.ts";
import type { SocketEnds } from "./socket_teardown.ts";
import type { TypingThrottle } from "./typing.ts";
import { admitUpgrade } from "./ws_endpoint.ts";
import type { RequestInfo } from "./_handler_options.ts";
import { CLOSED } from "./ready_state.ts";

/** What the connections of one handler are made with, once per handler. */
export interface HandlerConnectionsParts {
  /** The handler's connections; the moderation and the metrics read it too. */
  connections: Set<Connection>;
  config: Config;
  chat: Chat;
  signIn: SignIn;
  drainWatcher: DrainWatcher;
  metrics: ChatMetrics;
  moderator: Moderator;
  typing: TypingThrottle;
  now: () => number;
  /** Tears down the sockets of ended connections, when `CHAT_SOCKET_REAPER` is on. */
  reaper: SocketReaper | undefined;
}

/** The ends of the TCP connection a request came on, when the host says. */
function socketEnds(info: RequestInfo | undefined): SocketEnds | undefined {
  const remote = info?.remoteAddr;
  if (remote?.transport !== "tcp") return undefined;
  return { remote, local: info?.localAddr };
}

/** One handler's WebSocket connections, from their upgrade to their socket's close. */
export class HandlerConnections implements Disposable {
  #parts: HandlerConnectionsParts;
  #connections: Set<Connection>;
  #countWaiters = new Map<number, PromiseWithResolvers<void>>();
  /**
   * Each socket until its `close` event: a connection the server ended may
   * hold its socket (and descriptor) until the peer goes, and counts
   * against `maxConnections` until then.
   */
  #openSockets = new Set<Promise<void>>();
  #closingSweep: ClosingSweep;
  #closing = false;

  /** The connections made with `parts`. */
  constructor(parts: HandlerConnectionsParts) {
    this.#parts = parts;
    this.#connections = parts.connections;
    this.#closingSweep = new ClosingSweep(parts.connections);
  }

  /** Whether {@linkcode HandlerConnections.closeAll} was called. */
  get closing(): boolean {
    return this.#closing;
  }

  /**
   * Upgrades a `/ws` request to a WebSocket connection, or answers why not.
   *
   * @param req The request.
   * @param info What the host tells about the request's connection.
   * @returns The upgrade's response, or the refusal.
   */
  async upgrade(req: Request, info?: RequestInfo): Promise<Response> {
    if (this.#closing) {
      return new Response("Service unavailable: shutting down\n", {
        status: 503,
      });
    }
    const { config, signIn, metrics, reaper } = this.#parts;
    const admission = admitUpgrade(req, config, this.#openSockets.size);
    if (admission instanceof Response) {
      metrics.upgradesRefused.inc({ status: String(admission.status) });
      log("debug", "connection.refused", { status: admission.status });
      return admission;
    }
    // A token in the URL (the plain-text protocol's only way) is verified
    // before the upgrade; a bad one is answered once the socket is open, so
    // the client sees the close code.
    const token = new URL(req.url).searchParams.get("token");
    let identity: Identity = guestIdentity(admission.name);
    let refusal: ProtocolError | undefined;
    if (token !== null) {
      try {
        identity = await signIn.verify(token);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        refusal = error;
      }
    }
    // Deno.serve's info cannot be read once the request is upgraded.
    const ends = reaper && socketEnds(info);
    let upgraded: { socket: WebSocket; response: Response };
    try {
      upgraded = Deno.upgradeWebSocket(req, {
        protocol: admission.mode === "json" ? "chat.v1" : undefined,
        idleTimeout: config.idleTimeout,
      });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return new Response(`Bad request: ${detail}\n`, { status: 400 });
    }
    const { socket } = upgraded;
    const connection = new Connection(socket, {
      mode: admission.mode,
      identity,
      signIn,
      refusal,
      config,
      chat: this.#parts.chat,
      drainWatcher: this.#parts.drainWatcher,
      onClose: (closed) => {
        this.#connections.delete(closed);
        this.#closingSweep.stopIfIdle();
        this.#changed();
        if (ends && socket.readyState !== CLOSED) {
          reaper?.watch(closed.id, ends, socketClosed);
        }
      },
      metrics,
      moderator: this.#parts.moderator,
      typing: this.#parts.typing,
      now: this.#parts.now,
    });
    this.#connections.add(connection);
    this.#changed();
    const socketClosed = new Promise<void>((resolve) =>
      socket.addEventListener("close", () => {
        this.#openSockets.delete(socketClosed);
        resolve();
      }, { once: true })
    );
    this.#openSockets.add(socketClosed);
    info?.holdUntil?.(socketClosed);
    this.#closingSweep.start();
    metrics.connectionsOpened.inc({ protocol: admission.mode });
    return upgraded.response;
  }

  /**
   * Resolves once exactly `count` connections are open: at once when that
   * is so now, else at the change that makes it so.
   *
   * @param count The number of connections to wait for.
   * @returns Resolves when there are that many.
   */
  countReaches(count: number): Promise<void> {
    if (this.#connections.size === count) return Promise.resolve();
    let waiter = this.#countWaiters.get(count);
    if (!waiter) {
      this.#countWaiters.set(count, waiter = Promise.withResolvers());
    }
    return waiter.promise;
  }

  /**
   * Refuses new connections, closes every one with 1001 (going away), and
   * waits for their sockets to close.
   *
   * @returns Resolves once every socket is closed.
   */
  async closeAll(): Promise<void> {
    this.#closing = true;
    for (const connection of this.#connections) {
      connection.close(CloseCode.goingAway, "Server shutting down");
    }
    // Until the peers answer the close, so that the code reaches them before
    // the process exits; the caller bounds the wait.
    await Promise.all(this.#openSockets);
  }

  /** Stops the sweep of connections whose socket cannot finish closing. */
  [Symbol.dispose](): void {
    this.#closingSweep[Symbol.dispose]();
  }

  #changed(): void {
    const size = this.#connections.size;
    const waiter = this.#countWaiters.get(size);
    this.#countWaiters.delete(size);
    waiter?.resolve();
  }
}
