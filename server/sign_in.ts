/**
 * Signing connections in: the token verifier the settings call for, the
 * guest policy, guests who resume their identity with a key, and the count
 * of each signed-in user's connections.
 *
 * @module
 */
import {
  hasKeySource,
  TokenError,
  TokenVerifier,
  type TokenVerifierOptions,
} from "../auth/tokens.ts";
import type { Config } from "./config.ts";
import { guestIdentity, type Identity, verifiedIdentity } from "./identity.ts";
import { ProtocolError } from "./protocol.ts";

/** What connections without a token may do. */
export type GuestAccess = "on" | "read-only" | "off";

/** Shortest guest key, in characters: enough randomness that nobody guesses another's. */
export const MIN_GUEST_KEY_LENGTH = 16;
/** Longest guest key, in characters. */
export const MAX_GUEST_KEY_LENGTH = 128;

/** The verifier's options from the settings. */
function verifierOptions(config: Config): TokenVerifierOptions {
  return {
    secret: config.authSecret,
    publicKey: config.authPublicKey,
    jwksUrl: config.authJwksUrl,
    issuer: config.authIssuer,
    audience: config.authAudience,
    algorithms: config.authAlgorithms,
    requireExpiry: config.authRequireExpiry,
    clockSkewSeconds: config.authClockSkew,
    maxTokenBytes: config.authMaxTokenBytes,
    jwksCooldownMs: config.authJwksCooldown * 1000,
  };
}

/**
 * Signs connections in for one server.
 *
 * @example Guests only, without a key
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "./settings.ts";
 * import { SignIn } from "./sign_in.ts";
 *
 * const signIn = new SignIn(defaultConfig());
 * assert.equal(signIn.guests, "on");
 * const guest = await signIn.resumeGuest("a-random-key-of-the-client", "Ada");
 * assert.equal(guest.guest, true);
 * assert.equal((await signIn.resumeGuest("a-random-key-of-the-client", "Ada")).id, guest.id);
 * ```
 */
export class SignIn {
  /** What connections without a token may do. */
  readonly guests: GuestAccess;
  /** Whether tokens can be verified at all (a key is configured). */
  readonly verifies: boolean;
  #verifier: Promise<TokenVerifier> | undefined;
  #maxConnectionsPerUser: number;
  #connections = new Map<string, number>();

  /** Reads the settings; the key is read on first use, or by {@linkcode SignIn.ready}. */
  constructor(config: Config) {
    const options = verifierOptions(config);
    this.verifies = hasKeySource(options);
    this.guests = config.guests === "auto"
      ? this.verifies ? "off" : "on"
      : config.guests;
    if (this.verifies) {
      this.#verifier = TokenVerifier.create(options);
      // Reported by ready() or by the first verify().
      this.#verifier.catch(() => {});
    }
    this.#maxConnectionsPerUser = config.maxConnectionsPerUser;
  }

  /**
   * Resolves once the key is read, so a bad key stops the server at start-up.
   *
   * @throws {TypeError|RangeError} When the key cannot be used.
   */
  async ready(): Promise<void> {
    await this.#verifier;
  }

  /**
   * Verifies a token and returns the user it names.
   *
   * @param token The compact JWT.
   * @returns The verified user's identity.
   * @throws {ProtocolError} `unauthorized` or `token_expired`; `unavailable` when the keys cannot be fetched.
   */
  async verify(token: string): Promise<Identity> {
    if (!this.#verifier) {
      throw new ProtocolError(
        "unauthorized",
        "Cannot accept token: this server verifies no tokens",
      );
    }
    const verifier = await this.#verifier;
    try {
      return verifiedIdentity(await verifier.verify(token));
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      throw new ProtocolError(
        error.code === "invalid_token" ? "unauthorized" : error.code,
        error.message,
      );
    }
  }

  /**
   * The identity of a guest that holds `key`, a random string it keeps
   * across reconnects: its id is a hash of the key, so the same key gives
   * the same id (and the same nonces stay de-duplicated) while nobody can
   * take another guest's id without its key.
   *
   * @param key The guest's key.
   * @param name The guest's display name; made from its id when absent.
   * @returns The guest's identity.
   * @throws {ProtocolError} `bad_request` for a key of the wrong length.
   */
  async resumeGuest(key: string, name?: string): Promise<Identity> {
    if (
      key.length < MIN_GUEST_KEY_LENGTH || key.length > MAX_GUEST_KEY_LENGTH
    ) {
      throw new ProtocolError(
        "bad_request",
        `Cannot sign in: "guestKey" must be ${MIN_GUEST_KEY_LENGTH} to ${MAX_GUEST_KEY_LENGTH} characters`,
      );
    }
    const digest = await crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode(key),
    );
    const hex = Array.from(
      new Uint8Array(digest).subarray(0, 8),
      (byte) => byte.toString(16).padStart(2, "0"),
    ).join("");
    return guestIdentity(name, hex);
  }

  /**
   * Counts one more connection of a signed-in user.
   *
   * @param userId The user's id.
   * @returns Whether it is allowed: `false` when the user holds the most already.
   */
  claim(userId: string): boolean {
    const count = this.#connections.get(userId) ?? 0;
    if (count >= this.#maxConnectionsPerUser) return false;
    this.#connections.set(userId, count + 1);
    return true;
  }

  /**
   * Counts one connection fewer of a signed-in user.
   *
   * @param userId The user's id.
   */
  release(userId: string): void {
    const count = this.#connections.get(userId) ?? 0;
    if (count <= 1) this.#connections.delete(userId);
    else this.#connections.set(userId, count - 1);
  }
}
