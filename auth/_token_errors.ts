/**
 * Why a token was refused, for `tokens.ts`: the {@linkcode TokenError}
 * callers catch, and the mapping of what `jose` throws onto it.
 *
 * @module
 */
import { errors } from "jose";

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

/** Maps what `jose` throws to a refusal that names the failed check, never the token. */
export function tokenErrorOf(error: unknown): TokenError {
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
