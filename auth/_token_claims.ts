/**
 * The claims this server reads from a verified token, for `tokens.ts`: the
 * user's id, name, role and private rooms, checked past what `jose` checks.
 *
 * @module
 */
import type { JWTPayload } from "jose";
import { MAX_USER_ID_LENGTH } from "../chat/rooms.ts";
import { TokenError } from "./_token_errors.ts";

/** Most entries of a token's `rooms` claim. */
export const MAX_ROOM_CLAIMS = 1000;

/** The roles a token may give; `member` when it gives none. */
export const ROLES = ["member", "moderator", "admin"] as const;
/** One of {@linkcode ROLES}. */
export type Role = typeof ROLES[number];

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

/**
 * Checks the claims this server reads, past what `jose` checks.
 *
 * @param payload The payload of a token whose signature and times are verified.
 * @returns Who the token says the user is.
 * @throws {TokenError} `invalid_token` when a claim is not as expected.
 */
export function claimsOf(payload: JWTPayload): VerifiedToken {
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
