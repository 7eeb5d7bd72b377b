/**
 * The keys tokens are verified with, for `tokens.ts`: a shared secret, a PEM
 * public key or a JWKS URL, each with the algorithms it can verify.
 *
 * @module
 */
import {
  createRemoteJWKSet,
  type CryptoKey,
  errors,
  importSPKI,
  type JWTVerifyGetKey,
} from "jose";
import { TokenError } from "./_token_errors.ts";

/** Shortest shared secret, in bytes: HS256 needs a key as long as its hash. */
export const MIN_SECRET_BYTES = 32;

/** Algorithms for a shared secret. */
export const HMAC_ALGORITHMS = ["HS256", "HS384", "HS512"];
/** Algorithms for an RSA public key. */
const RSA_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
/** Each elliptic-curve and Edwards algorithm, which fixes its key's curve. */
const CURVE_ALGORITHMS = ["ES256", "ES384", "ES512", "EdDSA"];
/** Every asymmetric algorithm, for keys from a JWKS. */
export const ASYMMETRIC_ALGORITHMS = [...RSA_ALGORITHMS, ...CURVE_ALGORITHMS];

/**
 * The key of a shared secret.
 *
 * @param secret The secret, at least {@linkcode MIN_SECRET_BYTES} bytes of UTF-8.
 * @returns The secret's bytes.
 * @throws {RangeError} When the secret is too short.
 */
export function secretKey(secret: string): Uint8Array {
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
 *
 * @param pem The public key, PEM-encoded SPKI.
 * @returns The key for each token's algorithm, and the algorithms it suits.
 * @throws {TypeError} When the key is not an RSA, EC or Ed25519 public key.
 */
export async function publicKeyOf(
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

/**
 * The keys of a JSON Web Key Set, fetched and cached; an unknown `kid`
 * fetches the set again, at most once per `cooldownMs`.
 *
 * @param url The key set's URL.
 * @param cooldownMs Milliseconds after a fetch before another; `jose`'s default when unset.
 * @returns The key for each token's `kid`; a set that cannot be fetched throws `unavailable`.
 * @throws {TypeError} When `url` is not a URL.
 */
export function jwksOf(
  url: string,
  cooldownMs: number | undefined,
): JWTVerifyGetKey {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new TypeError(`Cannot verify tokens: invalid JWKS URL "${url}"`, {
      cause,
    });
  }
  const jwks = createRemoteJWKSet(parsed, { cooldownDuration: cooldownMs });
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
