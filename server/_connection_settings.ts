/**
 * The settings of listening and of each connection: its limits, its rates,
 * its timeouts, how connections are accepted, and logging; for the table of
 * every setting in `settings.ts`.
 *
 * @module
 */
import { LOG_LEVELS } from "../observability/log.ts";
import { ACCEPT_LOOPS, type Setting } from "./config.ts";
import {
  boolean,
  define,
  hostname,
  integer,
  oneOf,
  originList,
} from "./_setting_parsers.ts";

/** The settings, in the order `--help` and the README list them. */
export const CONNECTION_SETTINGS: readonly Setting[] = [
  define({
    key: "port",
    env: "PORT",
    flag: "port",
    defaultValue: 8000,
    description: "TCP port to listen on (0 picks a free port)",
    parse: integer(0, 65535),
  }),
  define({
    key: "hostname",
    env: "HOSTNAME",
    flag: "hostname",
    defaultValue: "0.0.0.0",
    description: "Interface to listen on",
    parse: hostname,
  }),
  define({
    key: "maxMessageBytes",
    env: "CHAT_MAX_MESSAGE_BYTES",
    flag: "max-message-bytes",
    defaultValue: 4096,
    description: "Largest message text in UTF-8 bytes",
    // A message is stored as one Deno KV value, which holds at most 64 KiB.
    parse: integer(1, 16_384),
  }),
  define({
    key: "maxQueueLength",
    env: "CHAT_MAX_QUEUE_LENGTH",
    flag: "max-queue-length",
    defaultValue: 1024,
    description: "Messages queued per connection before it is cut off (1013)",
    parse: integer(1, 1_000_000),
  }),
  define({
    key: "maxBufferedBytes",
    env: "CHAT_MAX_BUFFERED_BYTES",
    flag: "max-buffered-bytes",
    defaultValue: 1_048_576,
    description: "Socket send buffer above which the server stops feeding it",
    parse: integer(1024, 1_073_741_824),
  }),
  define({
    key: "maxFrameBytes",
    env: "CHAT_MAX_FRAME_BYTES",
    flag: "max-frame-bytes",
    defaultValue: 65_536,
    description:
      "Largest frame of several events (history page, batch); without vectored writes each socket keeps a write buffer this large once sent one",
    parse: integer(1024, 1_073_741_824),
  }),
  define({
    key: "rateLimit",
    env: "CHAT_RATE_LIMIT",
    flag: "rate-limit",
    defaultValue: 10,
    description: "Messages per second a connection may send, sustained",
    parse: integer(1, 1_000_000),
  }),
  define({
    key: "rateBurst",
    env: "CHAT_RATE_BURST",
    flag: "rate-burst",
    defaultValue: 20,
    description: "Messages a connection may send at once above the rate",
    parse: integer(1, 1_000_000),
  }),
  define({
    key: "rateLimitStrikes",
    env: "CHAT_RATE_LIMIT_STRIKES",
    flag: "rate-limit-strikes",
    defaultValue: 10,
    description:
      "Consecutive refused frames (over either rate) before close (1008)",
    parse: integer(1, 1_000_000),
  }),
  define({
    key: "controlRate",
    env: "CHAT_CONTROL_RATE",
    flag: "control-rate",
    defaultValue: 5,
    description:
      "Pings and refused requests per second a connection may send, sustained",
    parse: integer(1, 1_000_000),
  }),
  define({
    key: "controlBurst",
    env: "CHAT_CONTROL_BURST",
    flag: "control-burst",
    defaultValue: 20,
    description: "Pings and refused requests a connection may send at once",
    parse: integer(1, 1_000_000),
  }),
  define({
    key: "maxConnections",
    env: "CHAT_MAX_CONNECTIONS",
    flag: "max-connections",
    defaultValue: 10_000,
    description: "Concurrent WebSocket connections; more get HTTP 503",
    parse: integer(1, 1_000_000),
  }),
  define({
    key: "maxConnectionsPerAddress",
    env: "CHAT_MAX_CONNECTIONS_PER_ADDRESS",
    flag: "max-connections-per-address",
    defaultValue: 256,
    description:
      "Open TCP connections per client IP address; more get HTTP 503 (0 = no cap; behind a proxy: 0)",
    parse: integer(0, 1_000_000),
  }),
  define({
    key: "handshakeTimeout",
    env: "CHAT_HANDSHAKE_TIMEOUT",
    flag: "handshake-timeout",
    defaultValue: 10_000,
    description:
      "Milliseconds a connection may take per request, or idle between requests, before it is closed",
    parse: integer(100, 600_000),
  }),
  define({
    key: "acceptLoop",
    env: "CHAT_ACCEPT_LOOP",
    flag: "accept-loop",
    defaultValue: "auto",
    description:
      "own (deadline and cap above), deno (Deno.serve: neither) or auto (own unless on Deploy)",
    parse: oneOf(ACCEPT_LOOPS),
  }),
  define({
    key: "allowedOrigins",
    env: "CHAT_ALLOWED_ORIGINS",
    flag: "allowed-origins",
    defaultValue: [],
    description: "Comma-separated extra origins allowed on /ws (* for any)",
    parse: originList,
  }),
  define({
    key: "idleTimeout",
    env: "CHAT_IDLE_TIMEOUT",
    flag: "idle-timeout",
    defaultValue: 30,
    description: "Seconds without a pong before a peer is dropped (0 = off)",
    parse: integer(0, 86_400),
  }),
  define({
    key: "closeTimeout",
    env: "CHAT_CLOSE_TIMEOUT",
    flag: "close-timeout",
    defaultValue: 2000,
    description:
      "Milliseconds a peer the server closed may go on sending, or take to close with the reaper on, before its socket is dropped",
    parse: integer(0, 60_000),
  }),
  define({
    key: "socketReaper",
    env: "CHAT_SOCKET_REAPER",
    flag: "socket-reaper",
    defaultValue: false,
    description:
      "Tear down sockets of ended connections still open after the close timeout (Linux; needs --allow-ffi)",
    parse: boolean,
  }),
  define({
    key: "shutdownTimeout",
    env: "CHAT_SHUTDOWN_TIMEOUT",
    flag: "shutdown-timeout",
    defaultValue: 3000,
    description: "Milliseconds a graceful shutdown may take",
    parse: integer(0, 600_000),
  }),
  define({
    key: "logLevel",
    env: "CHAT_LOG_LEVEL",
    flag: "log-level",
    defaultValue: "info",
    description: `Least severe log level (${LOG_LEVELS.join(", ")})`,
    parse: oneOf(LOG_LEVELS),
  }),
];
