/**
 * Who a connection is: a verified user, whose id, name, role and private
 * rooms come from a signed token, or a guest with an id the server makes.
 *
 * @module
 */
import type { Role, VerifiedToken } from "../auth/tokens.ts";
import { MAX_NAME_LENGTH, normalizeName, ProtocolError } from "./protocol.ts";

/** A connection's user. */
export interface Identity {
  /** The user id: the token's `sub`, or `guest:` and 16 hex digits for a guest. */
  id: string;
  /** The display name. */
  name: string;
  /** What the user may do beyond chatting; guests are members. */
  role: Role;
  /** Whether the user is a guest, not verified by a token. */
  guest: boolean;
  /** Private rooms the token lists: exact names, or prefixes ending in `*`. */
  rooms: readonly string[];
  /** When the token expires, in milliseconds since the Unix epoch, if it does. */
  expiresAt?: number;
}

/** Prefix of every guest's user id. */
export const GUEST_ID_PREFIX = "guest:";

/**
 * A guest, with an id of its own (`guest:` and 16 hex digits) and, unless it
 * asked for one, a name made from that id (`guest-` and its first 8 hex
 * digits), so that guests practically never share a name.
 *
 * @param name The display name asked for, already normalised.
 * @param hex The id's hex digits; random unless given.
 * @returns The guest's identity.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { guestIdentity } from "./identity.ts";
 *
 * const guest = guestIdentity();
 * assert.match(guest.id, /^guest:[0-9a-f]{16}$/);
 * assert.equal(guest.name, `guest-${guest.id.slice(6, 14)}`);
 * assert.equal(guestIdentity("Ada").name, "Ada");
 * ```
 */
export function guestIdentity(
  name?: string,
  hex: string = crypto.randomUUID().replaceAll("-", "").slice(0, 16),
): Identity {
  return {
    id: `${GUEST_ID_PREFIX}${hex}`,
    name: name ?? `guest-${hex.slice(0, 8)}`,
    role: "member",
    guest: true,
    rooms: [],
  };
}

/**
 * The identity a verified token gives: its `name`, checked like any display
 * name, or its `sub` when it has none.
 *
 * @param token The verified claims.
 * @returns The user's identity.
 * @throws {ProtocolError} `unauthorized` when the token's name is not a valid display name.
 */
export function verifiedIdentity(token: VerifiedToken): Identity {
  let name: string;
  try {
    // A long id is cut to the longest name, by code point.
    name = normalizeName(
      token.name ?? [...token.userId].slice(0, MAX_NAME_LENGTH).join(""),
    );
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    throw new ProtocolError(
      "unauthorized",
      `Cannot accept token: claim "name" is not a valid display name: ${error.message}`,
    );
  }
  const identity: Identity = {
    id: token.userId,
    name,
    role: token.role,
    guest: false,
    rooms: token.rooms,
  };
  if (token.expiresAt !== undefined) identity.expiresAt = token.expiresAt;
  return identity;
}
