/**
 * One connection's identity over its life: signing in with a token or a
 * guest key, refreshing the token before it expires, the deadlines that end
 * a connection that did not sign in or whose token expired, the user's slot
 * in the per-user connection count, and which rooms the identity may use.
 *
 * @module
 */
import { mayAccess } from "../auth/access.ts";
import type { Identity } from "./identity.ts";
import type { Closable } from "./connection_context.ts";
import { CloseCode, ProtocolError } from "./protocol.ts";
import type { SignIn } from "./sign_in.ts";

/** Longest wait `setTimeout` takes (about 24.8 days); a later deadline is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How a connection signs in: a token, or a guest's key. */
export type Credential = { token: string } | { guestKey: string };

/** Options for {@linkcode Credentials}. */
export interface CredentialsOptions {
  /** Verifies tokens and counts users' connections. */
  signIn: SignIn;
  /** Who the connection is at first: a guest, or a user verified at the upgrade. */
  identity: Identity;
  /** Milliseconds a connection that must sign in may take before it is closed with 4401. */
  signInTimeoutMs: number;
  /** The connection, closed when it did not sign in in time (`unauthorized`) or its token expired and no fresh one arrived (`tokenExpired`). */
  connection: Closable;
  /**
   * The current time in milliseconds.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

/** A connection's identity and the timers that guard it; dispose it when the connection ends. */
export class Credentials implements Disposable {
  #options: CredentialsOptions;
  #identity: Identity;
  /** The user id whose connection slot this connection holds, if any. */
  #claimed: string | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #disposed = false;

  /** Starts with `options.identity`; call {@linkcode Credentials.start} once the socket is open. */
  constructor(options: CredentialsOptions) {
    this.#options = options;
    this.#identity = options.identity;
  }

  /** Who the connection is now. */
  get identity(): Identity {
    return this.#identity;
  }

  /** Whether the connection must sign in before anything but `ping`. */
  get required(): boolean {
    return this.#identity.guest && this.#options.signIn.guests === "off";
  }

  /** Whether a guest may only read. */
  get readOnly(): boolean {
    return this.#identity.guest && this.#options.signIn.guests === "read-only";
  }

  /**
   * Takes the user's connection slot and starts the deadline that applies:
   * the sign-in deadline, or the token's expiry.
   *
   * @returns `false` when a verified user already holds the most connections.
   */
  start(): boolean {
    if (!this.#identity.guest && !this.#claim(this.#identity.id)) return false;
    this.#schedule();
    return true;
  }

  /**
   * Whether the identity may use `room`.
   *
   * @param room A room name.
   * @returns Whether it may join it, read it and send to it.
   */
  mayUse(room: string): boolean {
    return mayAccess(this.#identity, room);
  }

  /**
   * Signs in, or refreshes the token of a signed-in user.
   *
   * @param credential A token or a guest key.
   * @param inRooms Whether the connection is in any room: a guest must sign in before joining.
   * @returns The new identity.
   * @throws {ProtocolError} `unauthorized`, `token_expired`, `unavailable`,
   *   `bad_request` for a change of user, `auth_required` for a guest's key
   *   where guests are off, or `too_many_connections` when the user holds
   *   the most connections already.
   */
  async signIn(credential: Credential, inRooms: boolean): Promise<Identity> {
    if ("guestKey" in credential && this.#options.signIn.guests === "off") {
      throw new ProtocolError(
        "auth_required",
        "Cannot sign in as a guest: guests are off here; sign in with a token",
      );
    }
    const current = this.#identity;
    const next = "token" in credential
      ? await this.#options.signIn.verify(credential.token)
      : await this.#options.signIn.resumeGuest(
        credential.guestKey,
        current.guest ? current.name : undefined,
      );
    if (this.#disposed) return current;
    if (next.id !== current.id && (!current.guest || inRooms)) {
      throw new ProtocolError(
        "bad_request",
        current.guest
          ? "Cannot sign in: sign in before joining rooms"
          : "Cannot sign in as another user on this connection: reconnect",
      );
    }
    if (!next.guest && this.#claimed !== next.id) {
      if (!this.#claim(next.id)) {
        throw new ProtocolError(
          "too_many_connections",
          "Cannot sign in: this user holds the most connections allowed",
        );
      }
    }
    this.#identity = next;
    this.#schedule();
    return next;
  }

  /** Renames the connection's user, keeping everything else. */
  rename(name: string): void {
    this.#identity = { ...this.#identity, name };
  }

  /** Stops the timers and gives the user's connection slot back; idempotent. */
  [Symbol.dispose](): void {
    if (this.#disposed) return;
    this.#disposed = true;
    clearTimeout(this.#timer);
    if (this.#claimed !== undefined) {
      this.#options.signIn.release(this.#claimed);
    }
  }

  #claim(userId: string): boolean {
    if (!this.#options.signIn.claim(userId)) return false;
    if (this.#claimed !== undefined) {
      this.#options.signIn.release(this.#claimed);
    }
    this.#claimed = userId;
    return true;
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#disposed) return;
    const now = this.#options.now?.() ?? Date.now();
    if (this.required) {
      // A shared function and an argument: no closure per connection.
      this.#timer = setTimeout(
        closeUnsigned,
        this.#options.signInTimeoutMs,
        this.#options.connection,
      );
      return;
    }
    const expiresAt = this.#identity.expiresAt;
    if (expiresAt === undefined) return;
    const left = expiresAt - now;
    this.#timer = setTimeout(
      () =>
        left > MAX_TIMER_MS ? this.#schedule() : this.#options.connection.close(
          CloseCode.tokenExpired,
          "Token expired",
        ),
      Math.max(0, Math.min(left, MAX_TIMER_MS)),
    );
  }
}

/** Closes a connection that did not sign in in time. */
function closeUnsigned(connection: Closable): void {
  connection.close(CloseCode.unauthorized, "Sign-in required");
}
