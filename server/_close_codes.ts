/**
 * The WebSocket close codes the server ends a `/ws` connection with: the
 * standard ones and the chat's own (`4xxx`). `protocol.ts` re-exports them.
 *
 * @module
 */

/** WebSocket close codes the server uses. */
export const CloseCode = {
  /** Server shutting down. */
  goingAway: 1001,
  /** A binary frame arrived; only text is spoken. */
  unsupportedData: 1003,
  /** Text that is not valid chat text (plain mode). */
  invalidPayload: 1007,
  /** Persistent abuse, e.g. rate limit strikes. */
  policyViolation: 1008,
  /** A frame larger than the limits allow. */
  messageTooBig: 1009,
  /** The server failed unexpectedly. */
  internalError: 1011,
  /** Slow consumer: the connection could not keep up with its messages. */
  tryAgainLater: 1013,
  /** No valid token where one is required, or none in time. */
  unauthorized: 4401,
  /** The user already holds the most connections allowed. */
  tooManyUserConnections: 4429,
  /** The token expired and no fresh one arrived. */
  tokenExpired: 4440,
  /** Plain text: the user is banned from the room (or from every room). */
  banned: 4403,
  /** Plain text: a moderator took the user out of the room. */
  kicked: 4409,
  /** The host application ended every connection of the user. */
  disconnected: 4410,
} as const;
