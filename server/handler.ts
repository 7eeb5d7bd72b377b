/**
 * The chat server's request handler: routing (`/`, static files, `/healthz`,
 * `/readyz`, `/metrics`, `/ws`) and the connections it owns (kept in
 * `_handler_connections.ts`), for `Deno.serve` or any other host. `main.ts`
 * re-exports it and runs it from the command line.
 *
 * @module
 */
import { historyOptions } from "./backend.ts";
import { MemoryBroker } from "../broker.ts";
import { Chat } from "../chat/chat.ts";
import { ChatMetrics } from "./chat_metrics.ts";
import { loadClientModule } from "./client_module.ts";
import type { Config } from "./config.ts";
import { defaultConfig } from "./settings.ts";
import type { Connection } from "./connection.ts";
import { KvHistory } from "../kv/history.ts";
import { MemoryPresence } from "../chat/presence.ts";
import { SocketReaper } from "./socket_reaper.ts";
import { DrainWatcher } from "./drain_watcher.ts";
import { log, setLogLevel } from "../observability/log.ts";
import type { Broadcast } from "../chat/events.ts";
import {
  fetchStaticFiles,
  loadStaticFiles,
  serveStatic,
  type StaticFiles,
} from "./static_files.ts";
import { SignIn } from "./sign_in.ts";
import { openModeration } from "./instance_moderation.ts";
import { TypingThrottle } from "./typing.ts";
import { API_PREFIX, apiElsewhere } from "./api.ts";
import { HandlerConnections } from "./_handler_connections.ts";
import type {
  ChatHandler,
  HandlerOptions,
  RequestInfo,
} from "./_handler_options.ts";

export type { ChatHandler, HandlerOptions, RequestInfo };

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
    // No reply of history outgrows the frame bound (Deno keeps each
    // socket's write buffer as large as its largest frame), nor what a
    // socket may hold unsent.
    maxPageBytes: Math.min(config.maxFrameBytes, config.maxBufferedBytes),
    directoryLimit: config.directoryLimit,
  });
  const now = options.now ?? Date.now;
  const typing = new TypingThrottle(config.typingInterval, now);
  const signIn = new SignIn(config);
  const drainWatcher = new DrainWatcher();
  const connections = new Set<Connection>();
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

  const sockets = new HandlerConnections({
    connections,
    config,
    chat,
    signIn,
    drainWatcher,
    metrics,
    moderator,
    typing,
    now,
    reaper,
  });

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
    if (pathname === "/ws") return sockets.upgrade(req, info);
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
        status: sockets.closing
          ? "shutting_down"
          : report.ready
          ? "ok"
          : "degraded",
        connections: connections.size,
        subscribers: broker.subscriberCount(),
        dependencies: report.dependencies,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      }, sockets.closing ? 503 : 200);
    }
    if (pathname === "/readyz") {
      // A load balancer sends new users elsewhere while this is not 200.
      const ready = !sockets.closing && health().ready;
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
    if (sockets.closing) return;
    await sockets.closeAll();
    reaper?.[Symbol.dispose]();
    drainWatcher[Symbol.dispose]();
    sockets[Symbol.dispose]();
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
    connectionCountReaches: {
      value: (count: number) => sockets.countReaches(count),
    },
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
