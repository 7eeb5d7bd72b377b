/**
 * Verifies the signed tokens (JWTs) a host application issues for its
 * users, with `jose`: a shared secret (HS256/384/512), a PEM public key
 * (RS, PS, ES or EdDSA) or a JWKS URL, an explicit allow-list of algorithms,
 * and the standard claims checked with a small clock-skew allowance.
 *
 * @module
 */
import {
  createRemoteJWKSet,
  type CryptoKey,
  errors,
  importSPKI,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
} from "jose";

/** Default for {@linkcode TokenVerifierOptions.clockSkewSeconds}. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
/** Default for {@linkcode TokenVerifierOptions.maxTokenBytes}. */
export const DEFAULT_MAX_TOKEN_BYTES = 8192;
/** Shortest shared secret, in bytes: HS256 needs a key as long as its hash. */
export const MIN_SECRET_BYTES = 32;
/** Longest user id (`sub`), in characters. */
export const MAX_USER_ID_LENGTH = 128;
/** Most entries of a token's `rooms` claim. */
export const MAX_ROOM_CLAIMS = 1000;

/** Algorithms for a shared secret. */
const HMAC_ALGORITHMS = ["HS256", "HS384", "HS512"];
/** Algorithms for an RSA public key. */
const RSA_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
/** Each elliptic-curve and Edwards algorithm, which fixes its key's curve. */
const CURVE_ALGORITHMS = ["ES256", "ES384", "ES512", "EdDSA"];
/** Every asymmetric algorithm, for keys from a JWKS. */
const ASYMMETRIC_ALGORITHMS = [...RSA_ALGORITHMS, ...CURVE_ALGORITHMS];

/** The roles a token may give; `member` when it gives none. */
export const ROLES = ["member", "moderator", "admin"] as const;
/** One of {@linkcode ROLES}. */
export type Role = typeof ROLES[number];

/** Why a token was refused. */
export type TokenErrorCode = "invalid_token" | "token_expired" | "unavailable";

/** A token that cannot be accepted; the message never contains the token. */
export class TokenError extends Error {
  /** `invalid_token`, `token_expired`, or `unavailable` when the keys cannot be fetched now. */
  readonly code: TokenErrorCode;

  /** Creates a TokenError. */
  constructor(code: TokenErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TokenError";
    this.code = code;
  }
}

/** What a verified token says about its user. */
export interface VerifiedToken {
  /** The user's id (`sub`). */
  userId: string;
  /** The display name asked for (`name`), not yet checked against the name rules. */
  name?: string;
  /** The user's role. */
  role: Role;
  /** Private rooms the user may join: exact names, or prefixes ending in `*`. */
  rooms: string[];
  /** When the token expires, in milliseconds since the Unix epoch, if it does. */
  expiresAt?: number;
}

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
      : [jwksOf(options.jwksUrl!, options), ASYMMETRIC_ALGORITHMS];
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

function secretKey(secret: string): Uint8Array {
  const key = new TextEncoder().encode(secret);
  if (key.length < MIN_SECRET_BYTES) {
    throw new RangeError(
      `Cannot verify tokens: the secret must be at least ${MIN_SECRET_BYTES} bytes`,
    );
  }
  return key;
}

/**
 * Reads a PEM public key. Its type decides its algorithms: an RSA key
 * verifies RS and PS, an elliptic-curve or Edwards key only the algorithm of
 * its curve. Each algorithm gets the key imported for it, once, on first use.
 */
async function publicKeyOf(
  pem: string,
): Promise<[JWTVerifyGetKey, string[]]> {
  const family = await keyFamily(pem);
  const keys = new Map<string, Promise<CryptoKey>>();
  const getKey: JWTVerifyGetKey = ({ alg }) => {
    let key = keys.get(alg);
    if (!key) keys.set(alg, key = importSPKI(pem, alg));
    return key;
  };
  return [getKey, family];
}

async function keyFamily(pem: string): Promise<string[]> {
  try {
    await importSPKI(pem, "RS256");
    return RSA_ALGORITHMS;
  } catch {
    // Not an RSA key: try each curve.
  }
  for (const alg of CURVE_ALGORITHMS) {
    try {
      await importSPKI(pem, alg);
      return [alg];
    } catch {
      // Another curve.
    }
  }
  throw new TypeError(
    "Cannot verify tokens: the public key is not a PEM (SPKI) RSA, EC or Ed25519 key",
  );
}

function jwksOf(url: string, options: TokenVerifierOptions): JWTVerifyGetKey {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new TypeError(`Cannot verify tokens: invalid JWKS URL "${url}"`, {
      cause,
    });
  }
  const jwks = createRemoteJWKSet(parsed, {
    cooldownDuration: options.jwksCooldownMs,
  });
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (error) {
      // A key the set does not hold is the token's fault; anything else
      // (unreachable, timed out, not a key set) is the key server's.
      if (
        error instanceof errors.JWKSNoMatchingKey ||
        error instanceof errors.JWKSMultipleMatchingKeys
      ) {
        throw error;
      }
      throw new TokenError(
        "unavailable",
        "Cannot verify token: the signing keys cannot be fetched now",
        { cause: error },
      );
    }
  };
}

/** Maps what `jose` throws to a refusal that names the failed check, never the token. */
function tokenErrorOf(error: unknown): TokenError {
  if (error instanceof errors.JWTExpired) {
    return new TokenError("token_expired", "Cannot accept token: it expired", {
      cause: error,
    });
  }
  if (error instanceof TokenError) return error;
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new TokenError(
      "invalid_token",
      `Cannot accept token: claim "${error.claim}" ${
        error.reason === "missing" ? "is missing" : "is not valid"
      }`,
      { cause: error },
    );
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new TokenError(
      "invalid_token",
      "Cannot verify token: its algorithm is not allowed",
      { cause: error },
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new TokenError(
      "invalid_token",
      "Cannot verify token: no signing key matches its key id",
      { cause: error },
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenError(
      "invalid_token",
      "Cannot verify token: the signature does not match",
      { cause: error },
    );
  }
  return new TokenError(
    "invalid_token",
    "Cannot verify token: it is malformed",
    {
      cause: error,
    },
  );
}

/** Checks the claims this server reads, past what `jose` checks. */
function claimsOf(payload: JWTPayload): VerifiedToken {
  const { sub, name, role = "member", rooms = [] } = payload;
  if (
    typeof sub !== "string" || sub.length < 1 ||
    sub.length > MAX_USER_ID_LENGTH || !sub.isWellFormed() ||
    /\p{Cc}/u.test(sub)
  ) {
    throw invalidClaim(
      "sub",
      `a string of 1 to ${MAX_USER_ID_LENGTH} characters without controls`,
    );
  }
  if (name !== undefined && typeof name !== "string") {
    throw invalidClaim("name", "a string");
  }
  if (!ROLES.includes(role as Role)) {
    throw invalidClaim("role", `one of ${ROLES.join(", ")}`);
  }
  if (
    !Array.isArray(rooms) || rooms.length > MAX_ROOM_CLAIMS ||
    !rooms.every((room) =>
      typeof room === "string" && room.length > 0 && room.length <= 128
    )
  ) {
    throw invalidClaim(
      "rooms",
      `a list of at most ${MAX_ROOM_CLAIMS} room names or prefixes`,
    );
  }
  const verified: VerifiedToken = {
    userId: sub,
    role: role as Role,
    // Room names are folded to lower case, and so are the patterns.
    rooms: (rooms as string[]).map((room) => room.toLowerCase()),
  };
  if (name !== undefined) verified.name = name;
  if (typeof payload.exp === "number") verified.expiresAt = payload.exp * 1000;
  return verified;
}

function invalidClaim(claim: string, expected: string): TokenError {
  return new TokenError(
    "invalid_token",
    `Cannot accept token: claim "${claim}" must be ${expected}`,
  );
}
