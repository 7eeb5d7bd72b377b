/**
 * The chat server's request handler: routing (`/`, static files, `/healthz`,
 * `/readyz`, `/metrics`, `/ws`) and the connections it owns, for
 * `Deno.serve` or any other host. `main.ts` re-exports it and runs it from
 * the command line.
 *
 * @module
 */
import { type HealthReport, historyOptions } from "./backend.ts";
import { type Broker, MemoryBroker } from "../broker.ts";
import type { BusMetrics } from "../chat/bus_metrics.ts";
import { Chat } from "../chat/chat.ts";
import { ChatMetrics } from "./chat_metrics.ts";
import { loadClientModule } from "./client_module.ts";
import { type Config, defaultConfig } from "./config.ts";
import { Connection } from "./connection.ts";
import type { History } from "../chat/history.ts";
import { KvHistory } from "../kv/history.ts";
import { MemoryPresence, type Presence } from "../chat/presence.ts";
import { ClosingSweep } from "./closing_sweep.ts";
import { SocketReaper } from "./socket_reaper.ts";
import type { SocketEnds } from "./socket_teardown.ts";
import { DrainWatcher } from "./drain_watcher.ts";
import { log, setLogLevel } from "../observability/log.ts";
import type { Broadcast } from "../chat/events.ts";
import { CloseCode, ProtocolError } from "./protocol.ts";
import {
  fetchStaticFiles,
  loadStaticFiles,
  serveStatic,
  type StaticFiles,
} from "./static_files.ts";
import { guestIdentity, type Identity } from "./identity.ts";
import { SignIn } from "./sign_in.ts";
import type { ConnectionInfo } from "./tcp_server.ts";
import { admitUpgrade } from "./ws_endpoint.ts";
import type { ControlChannel } from "../chat/control.ts";
import type { ModerationStore } from "../chat/moderation.ts";
import { openModeration } from "./instance_moderation.ts";
import { TypingThrottle } from "./typing.ts";
import { API_PREFIX, apiElsewhere } from "./api.ts";

/** Options for {@linkcode createHandler}. */
export interface HandlerOptions {
  /**
   * Settings; missing ones take their defaults.
   *
   * @default {defaultConfig()}
   */
  config?: Partial<Config>;
  /**
   * Carries messages between connections; the handler closes it on shutdown.
   *
   * @default {new MemoryBroker()}
   */
  broker?: Broker<Broadcast>;
  /**
   * Numbers and stores messages; the handler closes it on shutdown.
   *
   * @default {"a KvHistory over an in-memory Deno KV"}
   */
  history?: History;
  /**
   * Tracks who is in which room; the handler closes it on shutdown.
   *
   * @default {new MemoryPresence()}
   */
  presence?: Presence;
  /**
   * Reports whether the dependencies (Redis) are reachable, for `/healthz`
   * and `/readyz`.
   *
   * @default {"always ready"}
   */
  health?: () => HealthReport;
  /**
   * The bus's counters (dropped events, resubscriptions, catch-ups), shown
   * in `/metrics`.
   *
   * @default {undefined (none: one instance has no bus)}
   */
  busMetrics?: BusMetrics;
  /**
   * Folder of the UI's files.
   *
   * @default {"static/ beside main.ts (fetched by URL from a remote package)"}
   */
  staticDir?: string;
  /**
   * Path the chat is mounted under inside a larger app, such as `"/chat"`:
   * it then answers `/chat/` (the UI), `/chat/ws` and the rest, redirects
   * `/chat` to `/chat/`, and answers 404 outside it.
   *
   * @default {""}
   */
  basePath?: string;
  /**
   * Bans and the moderation record; the handler closes it on shutdown.
   *
   * @default {new MemoryModeration()}
   */
  moderation?: ModerationStore;
  /**
   * Carries bans, kicks and disconnections to every instance; the handler
   * closes it on shutdown.
   *
   * @default {new MemoryControl()}
   */
  control?: ControlChannel;
  /**
   * Clock in milliseconds since the Unix epoch: the edit window, bans'
   * ends, the typing interval.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

/**
 * What a host may tell the handler about a request's connection:
 * `TcpServer`'s {@linkcode ConnectionInfo}, or `Deno.serve`'s info, which
 * has no `holdUntil`.
 */
export type RequestInfo = Partial<Omit<ConnectionInfo, "remoteAddr">> & {
  readonly remoteAddr?: Deno.Addr;
};

/** A request handler for `Deno.serve` that also owns the chat's connections. */
export interface ChatHandler extends AsyncDisposable {
  /**
   * Answers one HTTP request; `/ws` upgrades to a WebSocket, and keeps its
   * TCP connection held through `info.holdUntil` until the socket closes.
   */
  (req: Request, info?: RequestInfo): Promise<Response>;
  /** WebSocket connections open now. */
  readonly connectionCount: number;
  /**
   * Resolves once exactly `count` WebSocket connections are open: at once
   * when that is so now, else at the change that makes it so. A connection
   * counts from its upgrade until its subscriptions are gone.
   */
  connectionCountReaches(count: number): Promise<void>;
  /** The broker messages travel through. */
  readonly broker: Broker<Broadcast>;
  /** What `GET /metrics` reports. */
  readonly metrics: ChatMetrics;
  /**
   * The server API's handler, when `CHAT_API_KEY` is set; `main.ts` serves
   * it on `CHAT_API_PORT` when that is set, else the handler does under
   * `/api/`.
   */
  readonly api?: (req: Request) => Promise<Response>;
  /**
   * Closes every WebSocket with 1001 (going away) and waits for their
   * sockets to close, refuses new ones with 503, and closes the broker;
   * idempotent. A peer that never answers the close keeps it waiting
   * (unless `CHAT_SOCKET_REAPER` tears its socket down): bound the wait
   * (main.ts gives it `CHAT_SHUTDOWN_TIMEOUT`).
   */
  shutdown(): Promise<void>;
  /**
   * Resolves once the settings that need work to check are checked: the
   * token key is read, and the socket reaper (when on) can work.
   *
   * @throws {TypeError|RangeError} When the token key cannot be used.
   * @throws {ConfigError} When `CHAT_SOCKET_REAPER` is on but cannot work.
   */
  ready(): Promise<void>;
}

/** The ends of the TCP connection a request came on, when the host says. */
function socketEnds(info: RequestInfo | undefined): SocketEnds | undefined {
  const remote = info?.remoteAddr;
  if (remote?.transport !== "tcp") return undefined;
  return { remote, local: info?.localAddr };
}

/** The UI's folder; a package imported from JSR has no folder to list. */
const STATIC_DIR = import.meta.dirname && `${import.meta.dirname}/../static`;
const STATIC_URL = new URL("../static/", import.meta.url);
const startedAt = Date.now();

function json(body: unknown, status = 200): Response {
  return Response.json(body, {
    status,
    headers: { "cache-control": "no-store" },
  });
}

/**
 * Creates the chat server's request handler.
 *
 * @param options Settings, broker and UI folder.
 * @returns The handler, which also tracks and shuts down its connections.
 *
 * @example Health check
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHandler } from "./handler.ts";
 *
 * await using handler = createHandler();
 * const res = await handler(new Request("http://localhost/healthz"));
 * assert.equal(res.status, 200);
 * assert.equal((await res.json()).status, "ok");
 * ```
 */
export function createHandler(options: HandlerOptions = {}): ChatHandler {
  const basePath = options.basePath ?? "";
  if (basePath !== "" && !/^(\/[^/]+)+$/.test(basePath)) {
    throw new TypeError(
      `Cannot mount the chat at "${basePath}": a base path starts with "/" and does not end with one`,
    );
  }
  const config: Config = { ...defaultConfig(), ...options.config };
  // Logging is the process's (one `log()`); a level given here sets it.
  if (options.config?.logLevel) setLogLevel(options.config.logLevel);
  const broker = options.broker ?? new MemoryBroker<Broadcast>();
  const history = options.history ??
    new KvHistory(Deno.openKv(":memory:"), historyOptions(config));
  const presence = options.presence ?? new MemoryPresence();
  const health = options.health ??
    (() => ({ ready: true, dependencies: {} }));
  const chat = new Chat({
    broker,
    history,
    presence,
    largeRoom: config.largeRoom,
    commitWindowMs: config.commitWindow,
    // No reply of history outgrows what a socket may hold unsent.
    maxPageBytes: config.maxBufferedBytes,
    directoryLimit: config.directoryLimit,
  });
  const now = options.now ?? Date.now;
  const typing = new TypingThrottle(config.typingInterval, now);
  const signIn = new SignIn(config);
  const drainWatcher = new DrainWatcher();
  const connections = new Set<Connection>();
  const countWaiters = new Map<number, PromiseWithResolvers<void>>();
  /**
   * Each socket until its `close` event: a connection the server ended may
   * hold its socket (and descriptor) until the peer goes, and counts
   * against `maxConnections` until then.
   */
  const openSockets = new Set<Promise<void>>();
  const closingSweep = new ClosingSweep(connections);
  const moderation = openModeration({
    config,
    chat,
    presence,
    connections,
    store: options.moderation,
    control: options.control,
    now,
  });
  const { moderator, api } = moderation;
  const staticDir = options.staticDir ?? STATIC_DIR;
  let staticFiles: Promise<StaticFiles> | undefined;
  let shuttingDown = false;
  const metrics = new ChatMetrics({
    connections: () => connections,
    subscribers: () => broker.subscriberCount(),
    rooms: () => broker.roomCount?.(),
    bus: options.busMetrics,
  });
  const reaper = config.socketReaper
    ? new SocketReaper({
      graceMs: config.closeTimeout,
      onTornDown: () => metrics.socketsTornDown.inc(),
    })
    : undefined;

  async function upgrade(
    req: Request,
    info?: RequestInfo,
  ): Promise<Response> {
    if (shuttingDown) {
      return new Response("Service unavailable: shutting down\n", {
        status: 503,
      });
    }
    const admission = admitUpgrade(req, config, openSockets.size);
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
      chat,
      drainWatcher,
      onClose: (closed) => {
        connections.delete(closed);
        closingSweep.stopIfIdle();
        connectionsChanged();
        if (ends && socket.readyState !== WebSocket.CLOSED) {
          reaper?.watch(closed.id, ends, socketClosed);
        }
      },
      metrics,
      moderator,
      typing,
      now,
    });
    connections.add(connection);
    connectionsChanged();
    const socketClosed = new Promise<void>((resolve) =>
      socket.addEventListener("close", () => {
        openSockets.delete(socketClosed);
        resolve();
      }, { once: true })
    );
    openSockets.add(socketClosed);
    info?.holdUntil?.(socketClosed);
    closingSweep.start();
    metrics.connectionsOpened.inc({ protocol: admission.mode });
    return upgraded.response;
  }

  function connectionsChanged(): void {
    const waiter = countWaiters.get(connections.size);
    countWaiters.delete(connections.size);
    waiter?.resolve();
  }

  function connectionCountReaches(count: number): Promise<void> {
    if (connections.size === count) return Promise.resolve();
    let waiter = countWaiters.get(count);
    if (!waiter) countWaiters.set(count, waiter = Promise.withResolvers());
    return waiter.promise;
  }

  async function route(req: Request, info?: RequestInfo): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === basePath) {
      // The UI's URLs are relative, so they need the trailing slash.
      url.pathname += "/";
      return Response.redirect(url, 301);
    }
    if (!url.pathname.startsWith(`${basePath}/`)) {
      return new Response("Not found\n", { status: 404 });
    }
    const pathname = url.pathname.slice(basePath.length);
    if (pathname === "/ws") return upgrade(req, info);
    if (pathname === "/metrics") return metrics.respond(req);
    if (pathname === "/api" || pathname.startsWith(API_PREFIX)) {
      return api && config.apiPort === 0 ? api(req) : apiElsewhere(config);
    }
    if (pathname === "/config.json") {
      // What the web UI needs before it connects: where to get a token,
      // and whether it may go on as a guest.
      return json({
        tokenUrl: config.authTokenUrl || null,
        guests: signIn.guests,
      });
    }
    if (pathname === "/healthz") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return new Response("Method not allowed\n", {
          status: 405,
          headers: { allow: "GET, HEAD" },
        });
      }
      const report = health();
      return json({
        status: shuttingDown
          ? "shutting_down"
          : report.ready
          ? "ok"
          : "degraded",
        connections: connections.size,
        subscribers: broker.subscriberCount(),
        dependencies: report.dependencies,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      }, shuttingDown ? 503 : 200);
    }
    if (pathname === "/readyz") {
      // A load balancer sends new users elsewhere while this is not 200.
      const ready = !shuttingDown && health().ready;
      return json({ ready }, ready ? 200 : 503);
    }
    // A failed read (out of descriptors, say) is tried again next time.
    staticFiles ??= Promise.all([
      staticDir ? loadStaticFiles(staticDir) : fetchStaticFiles(STATIC_URL),
      loadClientModule(),
    ])
      .then(([ui, client]) => new Map([...ui, ...client]))
      .catch((error) => {
        staticFiles = undefined;
        throw error;
      });
    return serveStatic(await staticFiles, req, pathname);
  }

  async function handler(req: Request, info?: RequestInfo): Promise<Response> {
    try {
      return await route(req, info);
    } catch (error) {
      // The path only: a query may hold a token, which never reaches a log.
      log("error", "http.unhandled", {
        path: new URL(req.url).pathname,
        error,
      });
      return new Response("Internal server error\n", { status: 500 });
    }
  }

  async function shutdown(): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    for (const connection of connections) {
      connection.close(CloseCode.goingAway, "Server shutting down");
    }
    // Until the peers answer the close, so that the code reaches them before
    // the process exits; the caller bounds the wait.
    await Promise.all(openSockets);
    reaper?.[Symbol.dispose]();
    drainWatcher[Symbol.dispose]();
    closingSweep[Symbol.dispose]();
    chat[Symbol.dispose]();
    await moderation[Symbol.asyncDispose]();
    await broker.close();
    // Presence may live in the history's database (Deno KV): it removes its
    // entries before the history closes that.
    await presence.close();
    await history.close();
  }

  return Object.defineProperties(handler, {
    connectionCount: { get: () => connections.size },
    connectionCountReaches: { value: connectionCountReaches },
    broker: { value: broker },
    metrics: { value: metrics },
    api: { value: api },
    shutdown: { value: shutdown },
    ready: {
      value: async () => {
        await Promise.all([signIn.ready(), reaper?.ready()]);
      },
    },
    [Symbol.asyncDispose]: { value: shutdown },
  }) as ChatHandler;
}
