/**
 * What a configuration is: every setting of the server after validation, how
 * one setting is described, and the error a setting that does not validate
 * throws. The table of settings is in `settings.ts`, reading it in
 * `load_config.ts`, `--help` in `help_text.ts`.
 *
 * @module
 */
import type { LogLevel } from "../observability/log.ts";

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
  /**
   * Largest frame the server builds from several events (a page of history,
   * a batch of live events), in bytes; a single larger event still goes
   * alone. Deno keeps each socket's write buffer as large as the largest
   * frame ever sent on it, so this bounds what every connection holds.
   */
  maxFrameBytes: number;
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
