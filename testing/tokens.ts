/**
 * Real signed tokens for tests, made with `jose` as a host application
 * would: a shared secret by default, or any key and algorithm.
 *
 * @module
 */
import { type CryptoKey, type JWTPayload, SignJWT } from "jose";

/** The shared secret test servers verify with (`CHAT_AUTH_SECRET`). */
export const TEST_SECRET = "a test secret long enough for HS256 tokens";

/** How to sign a test token. */
export interface SignOptions {
  /**
   * The key; the test secret when absent.
   *
   * @default {TEST_SECRET}
   */
  key?: CryptoKey | Uint8Array;
  /**
   * The algorithm.
   *
   * @default {"HS256"}
   */
  alg?: string;
  /** The key id to put in the header. */
  kid?: string;
}

/**
 * Signs `claims`; `exp` defaults to an hour from now unless given (`null`
 * leaves it out).
 *
 * @param claims The claims, `sub` among them.
 * @param options Key, algorithm and key id.
 * @returns The compact JWT.
 */
export function signTestToken(
  claims: Omit<JWTPayload, "exp"> & { exp?: number | null },
  options: SignOptions = {},
): Promise<string> {
  const { exp, ...rest } = claims;
  const payload: JWTPayload = { ...rest };
  if (exp !== null) {
    payload.exp = exp ?? Math.floor(Date.now() / 1000) + 3600;
  }
  const {
    key = new TextEncoder().encode(TEST_SECRET),
    alg = "HS256",
    kid,
  } = options;
  return new SignJWT(payload)
    .setProtectedHeader(kid === undefined ? { alg } : { alg, kid })
    .sign(key);
}
