/**
 * What a `ChatClient` is made with and reports: its options, its
 * connection states and its events.
 *
 * @module
 */
import type { BackoffOptions, Clock } from "./backoff.ts";
import type { ChatError } from "./errors.ts";
import type { Outbox } from "./outbox.ts";
import type { AuthenticatedUser } from "./types.ts";

/** Where the connection stands; `closed` only after `close()`. */
export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/** The connection state changed. */
export interface StateEvent {
  /** Always `"state"`. */
  type: "state";
  /** The new state. */
  state: ConnectionState;
  /** Failed attempts since the connection was last open. */
  attempt: number;
  /** While `reconnecting`: milliseconds until the next attempt. */
  delay?: number;
  /** The close code of the connection that dropped, when one did. */
  code?: number;
}

/** The display name (and with a token, the user) the server knows the client by. */
export interface UserEvent {
  /** Always `"user"`. */
  type: "user";
  /** The display name. */
  user: string;
  /** The signed-in user, when a token was accepted. */
  identity?: AuthenticatedUser;
}

/** Something went wrong that no request of the caller's is waiting for. */
export interface ClientErrorEvent {
  /** Always `"error"`. */
  type: "error";
  /** What went wrong. */
  error: ChatError;
}

/** What a `ChatClient` reports. */
export type ClientEvent = StateEvent | UserEvent | ClientErrorEvent;

/** Options for `new ChatClient()`. */
export interface ChatClientOptions {
  /**
   * Display name to connect with; the server may normalise it. Reconnects
   * use the name the server last confirmed, so a guest keeps its name.
   *
   * @default {undefined (the server names a guest)}
   */
  name?: string;
  /**
   * Gives a signed token: called before each connection and again before
   * the server's `expiresAt`, and sent in an `auth` frame.
   *
   * @default {undefined (no sign-in)}
   */
  token?: () => string | Promise<string>;
  /**
   * A guest's key: a random string of 16 to 128 characters. Without a
   * token, the client signs in with it on every connection, so the server
   * sees the same guest each time and a message re-sent after a drop is
   * never stored twice. A caller whose outbox outlives the client (a
   * {@linkcode StorageOutbox} across page reloads) keeps a key of its own
   * beside it, as the web UI does in `localStorage`.
   *
   * @default {"a random key for this client"}
   */
  guestKey?: string;
  /**
   * Keeps messages until they are acknowledged; pass a
   * {@linkcode StorageOutbox} over `localStorage` to keep them across reloads.
   *
   * @default {new MemoryOutbox()}
   */
  outbox?: Outbox;
  /**
   * The reconnect schedule ({@linkcode backoffDelay}).
   *
   * @default {{ initialDelay: 1000, maxDelay: 5000, jitter: 0.5 }}
   */
  backoff?: BackoffOptions;
  /**
   * Time and timers for every wait of the client.
   *
   * @default {SYSTEM_CLOCK}
   */
  clock?: Clock;
  /**
   * Milliseconds a connection may take to open and be greeted (and signed
   * in) before it is dropped and tried again.
   *
   * @default {10000}
   */
  connectTimeout?: number;
  /**
   * Milliseconds to wait for the `pong` of the `ping` sent when the browser
   * reports it is back online, before the socket is taken for dead.
   *
   * @default {5000}
   */
  probeTimeout?: number;
  /**
   * How long before the token expires to fetch a new one, in milliseconds
   * (at most half the token's remaining life).
   *
   * @default {60000}
   */
  refreshAhead?: number;
  /**
   * Most messages a resume pages back for to fill the gap since the last
   * message; beyond it the room starts over from its latest messages.
   *
   * @default {1000}
   */
  catchUpLimit?: number;
  /** Closes the client when aborted. */
  signal?: AbortSignal;
}

/** Options for `ChatClient.join()`. */
export interface JoinOptions {
  /** Resume after this message id (saved from an earlier session). */
  since?: number;
  /** The epoch `since` belongs to. */
  epoch?: string;
}
