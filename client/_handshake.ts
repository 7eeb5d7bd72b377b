/**
 * What a client and the server tell each other on each new socket: the
 * client's `auth` (a token, or its guest key), and the server's `hello`
 * (the user's display name and the server's limits) and `authenticated`.
 * The socket may be used once both came.
 *
 * @module
 */
import type { Clock } from "./backoff.ts";
import { ChatError } from "./errors.ts";
import type { ChatClientOptions, ClientEvent } from "./options.ts";
import { TokenKeeper } from "./_token.ts";
import type {
  AuthenticatedFrame,
  AuthenticatedUser,
  ClientFrame,
  ClientLimits,
  ServerFrame,
} from "./types.ts";

/** What a {@linkcode Handshake} needs from its client. */
export interface HandshakeHost {
  /** Time and timers, for the token's refresh. */
  readonly clock: Clock;
  /** Writes a frame on the open socket; `false` when there is none. */
  write(frame: ClientFrame): boolean;
  /** Reports a new display name, or a token refresh that failed. */
  emit(event: ClientEvent): void;
}

/** Who the client is to the server, across its sockets. */
export class Handshake {
  #host: HandshakeHost;
  #token: TokenKeeper;
  #greeted = false;
  #user: string | undefined;
  #limits: ClientLimits | undefined;

  /**
   * @param options The client's name, token provider, guest key and refresh margin.
   * @param host The clock, the writer and the client's events.
   */
  constructor(options: ChatClientOptions, host: HandshakeHost) {
    this.#host = host;
    this.#user = options.name;
    this.#token = new TokenKeeper({
      provider: options.token,
      guestKey: options.guestKey ?? crypto.randomUUID(),
      clock: host.clock,
      refreshAhead: options.refreshAhead ?? 60_000,
      write: (frame) => host.write(frame),
      report: (error) => host.emit({ type: "error", error }),
    });
  }

  /** The display name the server knows the client by, once greeted. */
  get user(): string | undefined {
    return this.#user;
  }

  /** The signed-in user, when a token was accepted. */
  get identity(): AuthenticatedUser | undefined {
    return this.#token.identity;
  }

  /** The server's limits from its last `hello`. */
  get limits(): ClientLimits | undefined {
    return this.#limits;
  }

  /** Whether the socket may be used: greeted, and signed in if there is anything to sign in with. */
  get ready(): boolean {
    return this.#greeted && this.#token.ready;
  }

  /** A fresh token from the provider, or `undefined` without one. */
  token(): Promise<string | undefined> {
    return this.#token.fetch();
  }

  /** A new socket is connecting: it must greet again. */
  connecting(): void {
    this.#greeted = false;
  }

  /** The socket opened: signs in with `token`, or the guest key. */
  opened(token: string | undefined): void {
    this.#token.signIn(token);
  }

  /** The server's greeting. */
  hello(frame: Extract<ServerFrame, { type: "hello" }>): void {
    this.#greeted = true;
    this.#limits = frame.limits;
    this.setUser(frame.user);
  }

  /** The server accepted a token or the guest key. */
  authenticated(frame: AuthenticatedFrame): void {
    this.#token.authenticated(frame);
    this.setUser(frame.user.name);
  }

  /**
   * Handles an `error` refusing an `auth` frame.
   *
   * @returns Whether `frame` answered one.
   */
  refused(frame: Extract<ServerFrame, { type: "error" }>): boolean {
    const error = new ChatError(frame.code, frame.message);
    return this.#token.refused(frame.nonce ?? "", error);
  }

  /** The server confirmed a display name. */
  setUser(user: string): void {
    this.#user = user;
    this.#host.emit({ type: "user", user, identity: this.#token.identity });
  }

  /** The socket dropped: the next one signs in again. */
  dropped(): void {
    this.#token.disconnected();
  }
}
