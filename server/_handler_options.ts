/**
 * The request handler's types, for `handler.ts`, which exports them: its
 * options, what a host tells it about a request, and the handler itself.
 *
 * @module
 */
import type { HealthReport } from "./backend.ts";
import type { Broker } from "../broker.ts";
import type { BusMetrics } from "../chat/bus_metrics.ts";
import type { ChatMetrics } from "./chat_metrics.ts";
import type { Config } from "./config.ts";
import type { History } from "../chat/history.ts";
import type { Presence } from "../chat/presence.ts";
import type { Broadcast } from "../chat/events.ts";
import type { ConnectionInfo } from "./tcp_server.ts";
import type { ControlChannel } from "../chat/control.ts";
import type { ModerationStore } from "../chat/moderation.ts";

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
