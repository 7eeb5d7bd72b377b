/**
 * Verifies the signed tokens (JWTs) a host application issues for its
 * users, with `jose`: a shared secret (HS256/384/512), a PEM public key
 * (RS, PS, ES or EdDSA) or a JWKS URL, an explicit allow-list of algorithms,
 * and the standard claims checked with a small clock-skew allowance. The
 * keys live in `_token_keys.ts`, the claims in `_token_claims.ts` and the
 * refusals in `_token_errors.ts`; this module is the one to import.
 *
 * @module
 */
import { type JWTPayload, jwtVerify, type JWTVerifyGetKey } from "jose";
import { claimsOf, type VerifiedToken } from "./_token_claims.ts";
import { TokenError, tokenErrorOf } from "./_token_errors.ts";
import {
  ASYMMETRIC_ALGORITHMS,
  HMAC_ALGORITHMS,
  jwksOf,
  publicKeyOf,
  secretKey,
} from "./_token_keys.ts";

export {
  MAX_ROOM_CLAIMS,
  type Role,
  ROLES,
  type VerifiedToken,
} from "./_token_claims.ts";
export { TokenError, type TokenErrorCode } from "./_token_errors.ts";
export { MIN_SECRET_BYTES } from "./_token_keys.ts";

/** Default for {@linkcode TokenVerifierOptions.clockSkewSeconds}. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
/** Default for {@linkcode TokenVerifierOptions.maxTokenBytes}. */
export const DEFAULT_MAX_TOKEN_BYTES = 8192;

/** Options for {@linkcode TokenVerifier}; exactly one key source is set. */
export interface TokenVerifierOptions {
  /** Shared secret for HS256/384/512, at least {@linkcode MIN_SECRET_BYTES} bytes. */
  secret?: string;
  /** PEM public key (SPKI) for RS, PS, ES or EdDSA. */
  publicKey?: string;
  /** URL of a JSON Web Key Set, fetched and cached; an unknown `kid` fetches it again. */
  jwksUrl?: string;
  /** Expected `iss`, when set. */
  issuer?: string;
  /** Expected `aud`, when set. */
  audience?: string;
  /**
   * Algorithms accepted; must suit the key.
   *
   * @default {"every algorithm the key can verify"}
   */
  algorithms?: readonly string[];
  /**
   * Whether a token must carry `exp`.
   *
   * @default {true}
   */
  requireExpiry?: boolean;
  /**
   * Seconds of clock difference allowed for `exp`, `nbf` and `iat`.
   *
   * @default {30}
   */
  clockSkewSeconds?: number;
  /**
   * Longest token accepted, in bytes.
   *
   * @default {8192}
   */
  maxTokenBytes?: number;
  /**
   * Milliseconds after a fetch of the JWKS before an unknown `kid` may fetch it again.
   *
   * @default {30000}
   */
  jwksCooldownMs?: number;
  /** The current time in milliseconds; for tests. */
  now?: () => number;
}

/** Whether any key source is set, i.e. tokens can be verified at all. */
export function hasKeySource(options: TokenVerifierOptions): boolean {
  return Boolean(options.secret || options.publicKey || options.jwksUrl);
}

/**
 * Verifies tokens against one key source.
 *
 * @example A token signed with a shared secret
 * ```ts
 * import assert from "node:assert/strict";
 * import { SignJWT } from "jose";
 * import { TokenVerifier } from "./tokens.ts";
 *
 * const secret = "a shared secret of at least 32 bytes!";
 * const verifier = await TokenVerifier.create({ secret });
 * const token = await new SignJWT({ name: "Ada" })
 *   .setProtectedHeader({ alg: "HS256" })
 *   .setSubject("user-1")
 *   .setExpirationTime("1h")
 *   .sign(new TextEncoder().encode(secret));
 * const verified = await verifier.verify(token);
 * assert.equal(verified.userId, "user-1");
 * assert.equal(verified.name, "Ada");
 * assert.equal(verified.role, "member");
 * ```
 */
export class TokenVerifier {
  #key: Uint8Array | JWTVerifyGetKey;
  #algorithms: string[];
  #options: TokenVerifierOptions;

  private constructor(
    key: Uint8Array | JWTVerifyGetKey,
    algorithms: string[],
    options: TokenVerifierOptions,
  ) {
    this.#key = key;
    this.#algorithms = algorithms;
    this.#options = options;
  }

  /**
   * Prepares a verifier: reads the key and settles the algorithms it accepts.
   *
   * @param options The key source and the checks.
   * @returns The verifier.
   * @throws {TypeError} When not exactly one key source is set, or the key cannot be read.
   * @throws {RangeError} When the secret is too short or an algorithm does not suit the key.
   */
  static async create(options: TokenVerifierOptions): Promise<TokenVerifier> {
    const sources = [options.secret, options.publicKey, options.jwksUrl]
      .filter(Boolean);
    if (sources.length !== 1) {
      throw new TypeError(
        `Cannot verify tokens: set exactly one of a secret, a public key or a JWKS URL, not ${sources.length}`,
      );
    }
    const [key, suited] = options.secret
      ? [secretKey(options.secret), HMAC_ALGORITHMS]
      : options.publicKey
      ? await publicKeyOf(options.publicKey)
      : [
        jwksOf(options.jwksUrl!, options.jwksCooldownMs),
        ASYMMETRIC_ALGORITHMS,
      ];
    const algorithms = options.algorithms?.length
      ? [...options.algorithms]
      : suited;
    const unsuited = algorithms.filter((alg) => !suited.includes(alg));
    if (unsuited.length > 0) {
      throw new RangeError(
        `Cannot verify tokens: algorithm "${
          unsuited[0]
        }" does not suit the key; use ${suited.join(", ")}`,
      );
    }
    return new TokenVerifier(key, algorithms, options);
  }

  /** The algorithms this verifier accepts. */
  get algorithms(): readonly string[] {
    return this.#algorithms;
  }

  /**
   * Verifies a token's signature and claims.
   *
   * @param token The compact JWT.
   * @returns Who the token says the user is.
   * @throws {TokenError} `invalid_token`, `token_expired`, or `unavailable`.
   */
  async verify(token: string): Promise<VerifiedToken> {
    const {
      maxTokenBytes = DEFAULT_MAX_TOKEN_BYTES,
      clockSkewSeconds = DEFAULT_CLOCK_SKEW_SECONDS,
      requireExpiry = true,
    } = this.#options;
    if (token.length > maxTokenBytes) {
      throw new TokenError(
        "invalid_token",
        `Cannot verify token: it exceeds ${maxTokenBytes} bytes`,
      );
    }
    const now = this.#options.now?.() ?? Date.now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#key as Uint8Array, {
        algorithms: this.#algorithms,
        issuer: this.#options.issuer || undefined,
        audience: this.#options.audience || undefined,
        clockTolerance: clockSkewSeconds,
        currentDate: new Date(now),
        requiredClaims: requireExpiry ? ["sub", "exp"] : ["sub"],
      }));
    } catch (error) {
      throw tokenErrorOf(error);
    }
    if (
      typeof payload.iat === "number" &&
      payload.iat * 1000 > now + clockSkewSeconds * 1000
    ) {
      throw new TokenError(
        "invalid_token",
        "Cannot verify token: it was issued in the future",
      );
    }
    return claimsOf(payload);
  }
}
