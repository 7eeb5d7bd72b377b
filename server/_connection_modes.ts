/**
 * The two protocols a `/ws` connection may speak, plain text or `chat.v1`
 * JSON, the subprotocol that picks JSON, and the room every connection is in.
 * `protocol.ts` re-exports them.
 *
 * @module
 */

/** Subprotocol name that selects the JSON protocol; without it a connection speaks plain text. */
export const JSON_PROTOCOL = "chat.v1";
/** Which of the two protocols a connection speaks: plain text (the tutorial's) or `chat.v1` JSON. */
export type ConnectionMode = "plain" | "json";
/** The room every connection is in; plain-text clients live only here. */
export const DEFAULT_ROOM = "general";
