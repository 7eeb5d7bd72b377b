/**
 * The chat server's metrics: what connections, the broker and the process
 * are doing, for `GET /metrics`. Connections call the `on…` hooks; gauges
 * are read from their sources only when scraped (the process's own, from
 * `_process_gauges.ts`).
 *
 * @module
 */
import {
  Counter,
  type CounterSeries,
  Gauge,
  Histogram,
  type Labels,
  PROMETHEUS_CONTENT_TYPE,
  Registry,
} from "../observability/metrics.ts";
import type { BusMetrics } from "../chat/bus_metrics.ts";
import { utf8Length } from "../chat/events.ts";
import { addProcessGauges } from "./_process_gauges.ts";
import type { ConnectionMode } from "./protocol.ts";

/** Where {@linkcode ChatMetrics} reads its gauges at scrape time. */
export interface MetricsSources {
  /** The open connections and the protocol each speaks. */
  connections: () => Iterable<{ readonly mode: ConnectionMode }>;
  /** Current broker subscribers. */
  subscribers: () => number;
  /** Rooms with at least one subscriber, when the broker can tell. */
  rooms?: () => number | undefined;
  /** The counters of the bus between instances, when there is one. */
  bus?: BusMetrics;
}

function byteLength(
  data: string | ArrayBuffer | Blob | ArrayBufferView,
): number {
  if (typeof data === "string") return utf8Length(data);
  if (data instanceof Blob) return data.size;
  return data.byteLength;
}

/**
 * The counters, gauges and histograms of one chat server.
 *
 * @example Counting a delivery and scraping it
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChatMetrics } from "./chat_metrics.ts";
 *
 * const metrics = new ChatMetrics({ connections: () => [], subscribers: () => 0 });
 * metrics.onFramesSent("json", 1, 15, 0);
 * assert.match(metrics.render(), /^chat_frames_sent_total\{protocol="json"\} 1$/m);
 * ```
 */
export class ChatMetrics {
  /** Connections accepted, by protocol. */
  readonly connectionsOpened: Counter;
  /** Upgrades refused before a socket existed, by HTTP status. */
  readonly upgradesRefused: Counter;
  /** Sockets the server closed, by close code. */
  readonly serverCloses: Counter;
  /** Frames received from clients, by protocol. */
  readonly framesReceived: Counter;
  /** Payload bytes received from clients, by protocol. */
  readonly bytesReceived: Counter;
  /** Frames sent to clients, by protocol. */
  readonly framesSent: Counter;
  /** Payload bytes sent to clients, by protocol. */
  readonly bytesSent: Counter;
  /** Chat messages accepted and published. */
  readonly messagesReceived: Counter;
  /** Chat messages written to client sockets (one per recipient). */
  readonly messagesDelivered: Counter;
  /** Requests answered with an `error` frame, by error code. */
  readonly requestErrors: Counter;
  /** Requests refused by the rate limit. */
  readonly rateLimited: Counter;
  /** Connections cut off because they could not keep up. */
  readonly slowConsumers: Counter;
  /** Sockets of ended connections torn down because they did not close in time. */
  readonly socketsTornDown: Counter;
  /** Time to store and publish one message. */
  readonly publishLatency: Histogram;
  /** Failed publishes (broker or store unavailable). */
  readonly publishErrors: Counter;
  #registry = new Registry();
  /** Per-protocol series resolved once: frames are counted on every send. */
  #sent: Record<
    ConnectionMode,
    { frames: CounterSeries; bytes: CounterSeries }
  >;
  #received: Record<
    ConnectionMode,
    { frames: CounterSeries; bytes: CounterSeries }
  >;
  #delivered: CounterSeries;

  /** Creates the metrics and registers the gauges read from `sources`. */
  constructor(sources: MetricsSources) {
    const registry = this.#registry;
    const counter = (name: string, help: string) =>
      registry.add(new Counter(name, help));
    const gauge = (
      name: string,
      help: string,
      collect: () => Iterable<[Labels, number]>,
    ) => registry.add(new Gauge(name, help, collect));

    gauge("chat_connections", "WebSocket connections open now", () => {
      const counts = { plain: 0, json: 0 };
      for (const connection of sources.connections()) counts[connection.mode]++;
      return Object.entries(counts).map(([protocol, count]) => [
        { protocol },
        count,
      ]);
    });
    this.connectionsOpened = counter(
      "chat_connections_opened_total",
      "WebSocket connections accepted",
    );
    this.upgradesRefused = counter(
      "chat_upgrades_refused_total",
      "WebSocket upgrades refused, by HTTP status",
    );
    this.serverCloses = counter(
      "chat_server_closes_total",
      "WebSocket connections closed by the server, by close code",
    );
    gauge("chat_subscribers", "Broker subscribers now", () => [[
      {},
      sources.subscribers(),
    ]]);
    gauge("chat_rooms", "Rooms with at least one subscriber", () => {
      const rooms = sources.rooms?.();
      return rooms === undefined ? [] : [[{}, rooms]];
    });
    this.framesReceived = counter(
      "chat_frames_received_total",
      "WebSocket frames received",
    );
    this.bytesReceived = counter(
      "chat_bytes_received_total",
      "WebSocket payload bytes received",
    );
    this.framesSent = counter(
      "chat_frames_sent_total",
      "WebSocket frames sent",
    );
    this.bytesSent = counter(
      "chat_bytes_sent_total",
      "WebSocket payload bytes sent",
    );
    this.messagesReceived = counter(
      "chat_messages_received_total",
      "Chat messages accepted from clients",
    );
    this.messagesDelivered = counter(
      "chat_messages_delivered_total",
      "Chat messages written to recipients' sockets",
    );
    this.requestErrors = counter(
      "chat_request_errors_total",
      "Requests answered with an error frame, by code",
    );
    this.rateLimited = counter(
      "chat_rate_limited_total",
      "Requests refused by the rate limit",
    );
    this.slowConsumers = counter(
      "chat_slow_consumers_total",
      "Connections cut off as slow consumers",
    );
    this.socketsTornDown = counter(
      "chat_sockets_torn_down_total",
      "Sockets of ended connections torn down after the close timeout (CHAT_SOCKET_REAPER)",
    );
    this.publishLatency = registry.add(
      new Histogram(
        "chat_publish_duration_seconds",
        "Time to store and publish one message through the broker",
      ),
    );
    this.publishErrors = counter(
      "chat_publish_errors_total",
      "Messages the broker or store failed to take",
    );
    for (const busCounter of sources.bus?.counters ?? []) {
      registry.add(busCounter);
    }
    const byProtocol = (frames: Counter, bytes: Counter) => ({
      plain: {
        frames: frames.series({ protocol: "plain" }),
        bytes: bytes.series({ protocol: "plain" }),
      },
      json: {
        frames: frames.series({ protocol: "json" }),
        bytes: bytes.series({ protocol: "json" }),
      },
    });
    this.#sent = byProtocol(this.framesSent, this.bytesSent);
    this.#received = byProtocol(this.framesReceived, this.bytesReceived);
    this.#delivered = this.messagesDelivered.series();
    addProcessGauges(registry);
  }

  /**
   * Adds a gauge read from `collect` at each scrape, for what the host
   * serving the handler knows (its TCP connections, say).
   *
   * @param name Metric name.
   * @param help One line for `# HELP`.
   * @param collect Returns each series' labels and value.
   * @throws {TypeError} When a metric of that name exists already.
   */
  addGauge(
    name: string,
    help: string,
    collect: () => Iterable<[Labels, number]>,
  ): void {
    this.#registry.add(new Gauge(name, help, collect));
  }

  /** A frame arrived from a client. */
  onFrameReceived(
    protocol: ConnectionMode,
    data: string | ArrayBuffer | Blob | ArrayBufferView,
  ): void {
    const received = this.#received[protocol];
    received.frames.inc();
    received.bytes.inc(byteLength(data));
  }

  /**
   * Several frames went to one client at once; counting them together keeps
   * the per-delivery cost of metrics off the hot path.
   *
   * @param protocol The client's protocol.
   * @param frames Frames sent.
   * @param bytes Their payload bytes, together.
   * @param messages Chat messages they carried.
   */
  onFramesSent(
    protocol: ConnectionMode,
    frames: number,
    bytes: number,
    messages: number,
  ): void {
    if (frames === 0) return;
    const sent = this.#sent[protocol];
    sent.frames.inc(frames);
    sent.bytes.inc(bytes);
    if (messages > 0) this.#delivered.inc(messages);
  }

  /** A publish finished after `ms` milliseconds, successfully or not. */
  onPublished(ms: number, ok: boolean): void {
    this.publishLatency.observe(ms / 1000);
    if (ok) this.messagesReceived.inc();
    else this.publishErrors.inc();
  }

  /**
   * Renders every metric in the Prometheus text format.
   *
   * @returns The scrape body.
   */
  render(): string {
    return this.#registry.render();
  }

  /**
   * Answers `GET /metrics` (and `HEAD`); other methods get 405.
   *
   * @param req The request.
   * @returns The scrape, uncached.
   */
  respond(req: Request): Response {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("Method not allowed\n", {
        status: 405,
        headers: { allow: "GET, HEAD" },
      });
    }
    const body = this.render();
    return new Response(req.method === "HEAD" ? null : body, {
      headers: {
        "content-type": PROMETHEUS_CONTENT_TYPE,
        "cache-control": "no-store",
      },
    });
  }
}
