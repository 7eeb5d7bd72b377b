/**
 * Server settings: one table that drives the environment variables, the
 * command-line flags, `--help` and validation at start-up.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { LOG_LEVELS, type LogLevel } from "../observability/log.ts";
import {
  boolean,
  define,
  hostname,
  integer,
  list,
  oneOf,
  originList,
  secret,
  url,
} from "./_setting_parsers.ts";
import { MODERATION_SETTINGS } from "./_moderation_settings.ts";

/** Every setting of the chat server, after validation. */
export interface Config {
  /** TCP port to listen on; 0 picks a free one. */
  port: number;
  /** Interface to listen on. */
  hostname: string;
  /** Largest chat message text, in UTF-8 bytes. */
  maxMessageBytes: number;
  /** Messages queued for one connection before it is cut off as a slow consumer. */
  maxQueueLength: number;
  /** Bytes waiting in a socket's send buffer above which the server stops feeding it. */
  maxBufferedBytes: number;
  /** Messages per second each connection may send, sustained. */
  rateLimit: number;
  /** Messages a connection may send in a burst above the sustained rate. */
  rateBurst: number;
  /** Consecutive refused frames (over either budget) after which the connection is closed with 1008. */
  rateLimitStrikes: number;
  /** Pings and refused requests per second each connection may send, sustained. */
  controlRate: number;
  /** Pings and refused requests a connection may send in a burst above {@linkcode Config.controlRate}. */
  controlBurst: number;
  /** Concurrent WebSocket connections; further upgrades get 503. */
  maxConnections: number;
  /** Open TCP connections from one IP address; more are refused with 503. 0 turns the cap off. */
  maxConnectionsPerAddress: number;
  /** Milliseconds a connection may take to complete each request, and may stay idle between requests, before it is closed. */
  handshakeTimeout: number;
  /** How connections are accepted: the server's own loop, `Deno.serve`, or `auto` (own where the runtime allows). */
  acceptLoop: AcceptLoop;
  /** Origins allowed to open a WebSocket besides the page's own; `*` allows any. */
  allowedOrigins: string[];
  /** Seconds without a pong before a peer is dropped; 0 turns heartbeats off. */
  idleTimeout: number;
  /** Milliseconds a peer the server closed may keep sending before its socket is dropped without waiting for its close frame, and (with {@linkcode Config.socketReaper}) may take to close before its socket is torn down. */
  closeTimeout: number;
  /** Whether to tear down the TCP socket of a connection the server ended that has not closed within {@linkcode Config.closeTimeout} (Linux, `--allow-ffi`). */
  socketReaper: boolean;
  /** Milliseconds a graceful shutdown may take before the process exits anyway. */
  shutdownTimeout: number;
  /** Least severe log level written to stderr. */
  logLevel: LogLevel;
  /** Deno KV database file for history, or `:memory:`; empty uses the platform's KV (Deno Deploy). */
  kvPath: string;
  /** Messages sent on join, with or without `since`, and the largest `history` page. */
  historyLimit: number;
  /** Messages kept per room; older ones are deleted. */
  historyMaxMessages: number;
  /** Seconds a message is kept; 0 keeps messages until the count limit removes them. */
  historyMaxAge: number;
  /** Seconds during which a re-sent nonce is recognised and not posted again. */
  nonceTtl: number;
  /** Rooms one connection may be in at once. */
  maxRooms: number;
  /** Room size above which joins list this many names and presence sends a member count instead of names. */
  largeRoom: number;
  /** Most public rooms a `rooms` request (the room directory) lists. */
  directoryLimit: number;
  /** Milliseconds a room's next batch of messages waits for more before it is stored; 0 stores it at once. */
  commitWindow: number;
  /** Redis URL; when set, Redis carries history, presence and fan-out between instances. */
  redisUrl: string;
  /** Fan-out between instances; `auto` picks `redis` with a Redis URL, `kv` on Deno Deploy, else `memory`. */
  broker: BrokerKind;
  /** Seconds an instance's presence entries outlive its last heartbeat (Redis and KV). */
  presenceTtl: number;
  /** Shared secret that verifies HS256/384/512 tokens; empty for none. */
  authSecret: string;
  /** PEM public key that verifies RS, PS, ES or EdDSA tokens; empty for none. */
  authPublicKey: string;
  /** URL of the JSON Web Key Set that verifies tokens; empty for none. */
  authJwksUrl: string;
  /** Seconds after a fetch of the key set before a token with an unknown key id may fetch it again. */
  authJwksCooldown: number;
  /** Required `iss` of tokens; empty accepts any. */
  authIssuer: string;
  /** Required `aud` of tokens; empty accepts any. */
  authAudience: string;
  /** Token algorithms accepted; empty accepts every one the key suits. */
  authAlgorithms: string[];
  /** Whether tokens must carry `exp`. */
  authRequireExpiry: boolean;
  /** Seconds of clock difference allowed when checking `exp`, `nbf` and `iat`. */
  authClockSkew: number;
  /** Longest token accepted, in bytes. */
  authMaxTokenBytes: number;
  /** Seconds a connection that must sign in may take to send its token. */
  authTimeout: number;
  /** Who may connect without a token: `auto` is `on` without a key, `off` with one. */
  guests: GuestPolicy;
  /** Connections one signed-in user may hold on this instance. */
  maxConnectionsPerUser: number;
  /** URL on the host application where the web UI fetches its token; empty for none. */
  authTokenUrl: string;
  /** Seconds after sending during which an author may edit or delete a message; 0 for always. */
  editWindow: number;
  /** Edits one message may have. */
  maxEdits: number;
  /** Milliseconds between two typing events of one user in one room. */
  typingInterval: number;
  /** Seconds a moderation record is kept; 0 for good. */
  moderationMaxAge: number;
  /** Bearer key of the server API; empty turns the API off. */
  apiKey: string;
  /** Port of the server API alone; 0 serves it under `/api/` on the chat's port. */
  apiPort: number;
  /** Interface the server API's own port listens on. */
  apiHostname: string;
  /** Largest body of a server API request, in bytes. */
  apiMaxBodyBytes: number;
}

/** Ways to accept connections, and `auto`. */
export const ACCEPT_LOOPS = ["auto", "own", "deno"] as const;
/** One of {@linkcode ACCEPT_LOOPS}. */
export type AcceptLoop = typeof ACCEPT_LOOPS[number];

/** Ways to carry messages between instances, and `auto`. */
export const BROKER_KINDS = ["auto", "memory", "kv", "redis"] as const;
/** One of {@linkcode BROKER_KINDS}. */
export type BrokerKind = typeof BROKER_KINDS[number];

/** Who may connect without a token: everyone, read-only, or nobody; `auto` decides by whether a key is set. */
export const GUEST_POLICIES = ["auto", "on", "read-only", "off"] as const;
/** One of {@linkcode GUEST_POLICIES}. */
export type GuestPolicy = typeof GUEST_POLICIES[number];

/**
 * Defaults that differ on Deno Deploy (detected by `DENO_DEPLOYMENT_ID`):
 * the platform's KV, nothing on the local disk. There `auto` fan-out means
 * `kv` unless a Redis URL is set.
 */
export const DEPLOY_DEFAULTS: Partial<Config> = { kvPath: "" };

/** Thrown for a setting that does not validate; the message names the setting. */
export class ConfigError extends Error {
  /** Creates a ConfigError with a one-line message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConfigError";
  }
}

/** How one setting is named, described, defaulted and parsed. */
export interface Setting<K extends keyof Config = keyof Config> {
  /** Key in {@linkcode Config}. */
  key: K;
  /** Environment variable that sets it. */
  env: string;
  /** Command-line flag that sets it (wins over the environment). */
  flag: string;
  /** Value when neither is given. */
  defaultValue: Config[K];
  /** One line for `--help` and the README. */
  description: string;
  /** Turns the raw string into a value or throws a `RangeError`/`TypeError`. */
  parse(raw: string): Config[K];
  /** Whether the value is a secret, never repeated in errors or logs. */
  secret?: boolean;
}

/** Every setting, in the order `--help` and the README list them. */
export const SETTINGS: readonly Setting[] = [
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
  define({
    key: "kvPath",
    env: "CHAT_KV_PATH",
    flag: "kv-path",
    defaultValue: "data/chat.db",
    description:
      "Deno KV file for history (:memory: for none kept; empty: platform KV)",
    parse: (raw) => raw.trim(),
  }),
  define({
    key: "historyLimit",
    env: "CHAT_HISTORY_LIMIT",
    flag: "history-limit",
    defaultValue: 100,
    description:
      "Messages sent on join or resume, and the largest history page",
    parse: integer(1, 1000),
  }),
  define({
    key: "historyMaxMessages",
    env: "CHAT_HISTORY_MAX_MESSAGES",
    flag: "history-max-messages",
    defaultValue: 10_000,
    description: "Messages kept per room; older ones are deleted",
    parse: integer(1, 10_000_000),
  }),
  define({
    key: "historyMaxAge",
    env: "CHAT_HISTORY_MAX_AGE",
    flag: "history-max-age",
    defaultValue: 2_592_000,
    description: "Seconds a message is kept (0 = no age limit)",
    parse: integer(0, 3_153_600_000),
  }),
  define({
    key: "nonceTtl",
    env: "CHAT_NONCE_TTL",
    flag: "nonce-ttl",
    defaultValue: 600,
    description: "Seconds a send nonce is remembered for de-duplication",
    parse: integer(1, 604_800),
  }),
  define({
    key: "maxRooms",
    env: "CHAT_MAX_ROOMS",
    flag: "max-rooms",
    defaultValue: 20,
    description: "Rooms one connection may be in at once",
    parse: integer(1, 1000),
  }),
  define({
    key: "largeRoom",
    env: "CHAT_LARGE_ROOM",
    flag: "large-room",
    defaultValue: 200,
    description:
      "Room size above which joins list only this many members and presence sends counts, not names",
    // Every join would otherwise carry the whole room and be announced to
    // all of it: quadratic in the room's size.
    parse: integer(0, 100_000),
  }),
  define({
    key: "commitWindow",
    env: "CHAT_COMMIT_WINDOW",
    flag: "commit-window",
    defaultValue: 0,
    description:
      "Milliseconds a room's next batch of messages waits for more before it is stored (fewer commits under load, more latency; 0 = at once)",
    // Off by default: Deno's shortest timer fires after ~2 ms here, which
    // alone would take a lone message's p99 past 5 ms (docs/performance.md).
    parse: integer(0, 1000),
  }),
  define({
    key: "directoryLimit",
    env: "CHAT_DIRECTORY_LIMIT",
    flag: "directory-limit",
    defaultValue: 100,
    description:
      "Public rooms a rooms request (the room directory) lists at most",
    parse: integer(1, 1000),
  }),
  define({
    key: "redisUrl",
    env: "REDIS_URL",
    flag: "redis-url",
    defaultValue: "",
    description:
      "Redis for history, presence and fan-out between instances (empty: none)",
    parse: url(["redis", "rediss"]),
  }),
  define({
    key: "broker",
    env: "CHAT_BROKER",
    flag: "broker",
    defaultValue: "auto",
    description:
      "Fan-out: memory, kv or redis (auto: redis with REDIS_URL, else kv on Deploy)",
    parse: oneOf(BROKER_KINDS),
  }),
  define({
    key: "presenceTtl",
    env: "CHAT_PRESENCE_TTL",
    flag: "presence-ttl",
    defaultValue: 15,
    description: "Seconds a dead instance's members stay listed (Redis, KV)",
    parse: integer(1, 3600),
  }),
  define({
    key: "authSecret",
    env: "CHAT_AUTH_SECRET",
    flag: "auth-secret",
    defaultValue: "",
    description: "Shared secret (32+ bytes) that verifies HS256/384/512 tokens",
    parse: secret,
    secret: true,
  }),
  define({
    key: "authPublicKey",
    env: "CHAT_AUTH_PUBLIC_KEY",
    flag: "auth-public-key",
    defaultValue: "",
    description: "PEM public key that verifies RS, PS, ES or EdDSA tokens",
    parse: (raw) => raw.trim(),
  }),
  define({
    key: "authJwksUrl",
    env: "CHAT_AUTH_JWKS_URL",
    flag: "auth-jwks-url",
    defaultValue: "",
    description: "JWKS URL of an identity provider that verifies tokens",
    parse: url(["https", "http"]),
  }),
  define({
    key: "authJwksCooldown",
    env: "CHAT_AUTH_JWKS_COOLDOWN",
    flag: "auth-jwks-cooldown",
    defaultValue: 30,
    description:
      "Seconds before an unknown key id may fetch the JWKS again (key rotation)",
    parse: integer(0, 86_400),
  }),
  define({
    key: "authIssuer",
    env: "CHAT_AUTH_ISSUER",
    flag: "auth-issuer",
    defaultValue: "",
    description: "Required token issuer (iss)",
    parse: (raw) => raw.trim(),
  }),
  define({
    key: "authAudience",
    env: "CHAT_AUTH_AUDIENCE",
    flag: "auth-audience",
    defaultValue: "",
    description: "Required token audience (aud)",
    parse: (raw) => raw.trim(),
  }),
  define({
    key: "authAlgorithms",
    env: "CHAT_AUTH_ALGORITHMS",
    flag: "auth-algorithms",
    defaultValue: [],
    description:
      "Comma-separated token algorithms accepted (none: every one the key suits)",
    parse: list,
  }),
  define({
    key: "authRequireExpiry",
    env: "CHAT_AUTH_REQUIRE_EXP",
    flag: "auth-require-exp",
    defaultValue: true,
    description: "Whether tokens must carry exp",
    parse: boolean,
  }),
  define({
    key: "authClockSkew",
    env: "CHAT_AUTH_CLOCK_SKEW",
    flag: "auth-clock-skew",
    defaultValue: 30,
    description: "Seconds of clock difference allowed for exp, nbf and iat",
    parse: integer(0, 600),
  }),
  define({
    key: "authMaxTokenBytes",
    env: "CHAT_AUTH_MAX_TOKEN_BYTES",
    flag: "auth-max-token-bytes",
    defaultValue: 8192,
    description: "Longest token accepted, in bytes",
    parse: integer(256, 65_536),
  }),
  define({
    key: "authTimeout",
    env: "CHAT_AUTH_TIMEOUT",
    flag: "auth-timeout",
    defaultValue: 10,
    description:
      "Seconds a connection that must sign in has to send its token (4401)",
    parse: integer(1, 600),
  }),
  define({
    key: "guests",
    env: "CHAT_GUESTS",
    flag: "guests",
    defaultValue: "auto",
    description:
      "Connections without a token: on, read-only or off (auto: on without a key, off with one)",
    parse: oneOf(GUEST_POLICIES),
  }),
  define({
    key: "maxConnectionsPerUser",
    env: "CHAT_MAX_CONNECTIONS_PER_USER",
    flag: "max-connections-per-user",
    defaultValue: 20,
    description: "Connections one signed-in user may hold on this instance",
    parse: integer(1, 100_000),
  }),
  define({
    key: "authTokenUrl",
    env: "CHAT_AUTH_TOKEN_URL",
    flag: "auth-token-url",
    defaultValue: "",
    description:
      "Host application URL where the web UI fetches its token (with cookies)",
    parse: (raw) => raw.trim(),
  }),
  ...MODERATION_SETTINGS,
];

/** The configuration with every setting at its default. */
export function defaultConfig(): Config {
  return Object.fromEntries(
    SETTINGS.map((
      setting,
    ) => [setting.key, structuredClone(setting.defaultValue)]),
  ) as unknown as Config;
}

/** What {@linkcode loadConfig} found: a configuration, or a request for help. */
export type LoadResult = { help: true } | { help: false; config: Config };

/**
 * Reads the settings from command-line arguments and environment variables,
 * flags winning, and validates each. On Deno Deploy (`DENO_DEPLOYMENT_ID`
 * set) the defaults are {@linkcode DEPLOY_DEFAULTS}.
 *
 * @param args Command-line arguments, e.g. `Deno.args`.
 * @param env Looks up an environment variable; returns `undefined` when unset.
 * @returns The validated configuration, or `{ help: true }` for `--help`.
 * @throws {ConfigError} For an unknown flag or a value that does not validate.
 *
 * @example Flags win over the environment
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "./config.ts";
 *
 * const env = new Map([["PORT", "9000"], ["CHAT_RATE_LIMIT", "3"]]);
 * const result = loadConfig(["--port", "9001"], (name) => env.get(name));
 * assert(!result.help);
 * assert.equal(result.config.port, 9001);
 * assert.equal(result.config.rateLimit, 3);
 * ```
 */
export function loadConfig(
  args: readonly string[],
  env: (name: string) => string | undefined,
): LoadResult {
  const options = Object.fromEntries([
    ["help", { type: "boolean" as const, short: "h" }],
    ...SETTINGS.map((setting) => [setting.flag, { type: "string" as const }]),
  ]);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true });
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError(`Cannot parse arguments: ${detail}`, { cause });
  }
  if (parsed.values.help) return { help: true };
  const config = defaultConfig() as unknown as Record<string, unknown>;
  const onDeploy = env("DENO_DEPLOYMENT_ID") !== undefined;
  if (onDeploy) Object.assign(config, DEPLOY_DEFAULTS);
  for (const setting of SETTINGS) {
    const flagValue = parsed.values[setting.flag];
    const source = typeof flagValue === "string"
      ? { raw: flagValue, name: `--${setting.flag}` }
      : { raw: env(setting.env), name: setting.env };
    if (source.raw === undefined) continue;
    try {
      config[setting.key] = setting.parse(source.raw);
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message : String(cause);
      const shown = setting.secret ? "(hidden)" : `"${source.raw}"`;
      throw new ConfigError(`Invalid ${source.name} ${shown}: ${detail}`, {
        cause,
      });
    }
  }
  if (onDeploy && config.broker === "auto" && config.redisUrl === "") {
    config.broker = "kv";
  }
  return { help: false, config: config as unknown as Config };
}

/** The `--help` text: usage, then every setting with its flag, variable and default. */
export function helpText(): string {
  // Columns as wide as their longest entry, two spaces apart.
  const flags = ["Flag", "--help", ...SETTINGS.map((s) => `--${s.flag}`)];
  const variables = ["Variable", ...SETTINGS.map((s) => s.env)];
  const flagWidth = Math.max(...flags.map((flag) => flag.length)) + 2;
  const envWidth = Math.max(...variables.map((env) => env.length)) + 2;
  const row = (flag: string, env: string, meaning: string) =>
    `  ${flag.padEnd(flagWidth)}${env.padEnd(envWidth)}${meaning}`;
  return [
    "Usage: deno task start [options]",
    "",
    "A real-time chat server. Every option can also be set by its environment variable.",
    "",
    row("Flag", "Variable", "Meaning"),
    ...SETTINGS.map((setting) =>
      row(
        `--${setting.flag}`,
        setting.env,
        `${setting.description} (default: ${
          formatDefault(setting.defaultValue)
        })`,
      )
    ),
    row("--help", "", "Show this help and exit"),
  ].join("\n");
}

/** Formats a default value the way `--help` and the README show it. */
export function formatDefault(value: Config[keyof Config]): string {
  if (Array.isArray(value)) return value.length ? value.join(",") : "(none)";
  if (value === "") return "(none)";
  return String(value);
}
