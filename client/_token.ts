/**
 * Signing in with a token from the caller's provider: the `auth` frame after
 * each connect, and a fresh token before the server's `expiresAt`.
 *
 * @module
 */
import type { Clock } from "./backoff.ts";
import { ChatError } from "./errors.ts";
import type {
  AuthenticatedFrame,
  AuthenticatedUser,
  ClientFrame,
} from "./types.ts";

/** Options for {@linkcode TokenKeeper}. */
export interface TokenKeeperOptions {
  /** Gives a token; without one the client signs in as a guest, if it has a key. */
  provider: (() => string | Promise<string>) | undefined;
  /** The guest key to sign in with when there is no token. */
  guestKey: string | undefined;
  clock: Clock;
  /** Milliseconds before expiry to refresh (at most half the remaining life). */
  refreshAhead: number;
  /** Writes a frame on the open connection; `false` when there is none. */
  write: (frame: ClientFrame) => boolean;
  /** Reports a refresh that failed. */
  report: (error: ChatError) => void;
}

/** The sign-in of one client, across its connections. */
export class TokenKeeper {
  #options: TokenKeeperOptions;
  #identity: AuthenticatedUser | undefined;
  /** Signed in on the current connection. */
  #signedIn = false;
  #nonces = new Set<string>();
  #count = 0;
  #timer: unknown;

  constructor(options: TokenKeeperOptions) {
    this.#options = options;
  }

  /** The user of the last `authenticated`. */
  get identity(): AuthenticatedUser | undefined {
    return this.#identity;
  }

  /** Whether the connection may be used: signed in, or nothing to sign in with. */
  get ready(): boolean {
    return this.#signedIn ||
      (this.#options.provider === undefined &&
        this.#options.guestKey === undefined);
  }

  /** A fresh token from the provider, or `undefined` without one. */
  async fetch(): Promise<string | undefined> {
    return await this.#options.provider?.();
  }

  /**
   * Signs the newly open connection in: with `token`, or else with the
   * guest key, if there is one.
   */
  signIn(token: string | undefined): void {
    const guestKey = this.#options.guestKey;
    if (token === undefined && guestKey === undefined) return;
    const nonce = `a${++this.#count}`;
    this.#nonces.add(nonce);
    this.#options.write(
      token !== undefined
        ? { type: "auth", token, nonce }
        : { type: "auth", guestKey: guestKey!, nonce },
    );
  }

  /** The server accepted a token: refresh before it expires. */
  authenticated(frame: AuthenticatedFrame): void {
    if (frame.nonce !== undefined) this.#nonces.delete(frame.nonce);
    this.#identity = frame.user;
    this.#signedIn = true;
    const { clock, refreshAhead } = this.#options;
    clock.clearTimeout(this.#timer);
    // A guest, or a token without expiry: nothing to refresh.
    if (frame.expiresAt === undefined) return;
    const life = frame.expiresAt - clock.now();
    this.#timer = clock.setTimeout(
      () => void this.#refresh(),
      Math.max(0, life - Math.min(refreshAhead, life / 2)),
    );
  }

  /**
   * Handles an `error` answering an `auth` frame.
   *
   * @returns Whether `nonce` was one of ours.
   */
  refused(nonce: string, error: ChatError): boolean {
    if (!this.#nonces.delete(nonce)) return false;
    this.#options.report(error);
    return true;
  }

  /** The connection dropped: the next one signs in again. */
  disconnected(): void {
    this.#signedIn = false;
    this.#nonces.clear();
    this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #refresh(): Promise<void> {
    this.#timer = undefined;
    let token: string | undefined;
    try {
      token = await this.fetch();
    } catch (error) {
      this.#options.report(
        new ChatError("unauthorized", "Cannot refresh the token", {
          cause: error,
        }),
      );
      return;
    }
    // Dropped meanwhile: the next connection signs in with a new token.
    if (token === undefined || !this.#signedIn) return;
    this.signIn(token);
  }
}
