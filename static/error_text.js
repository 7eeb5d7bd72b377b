// What the page tells the user when the server refuses something or takes
// them out of a room, in the user's words rather than the protocol's codes.

/** A sentence for each ChatError code the user may meet. */
export const ERROR_TEXT = {
  "rate_limited": "You are sending messages too fast. Wait a moment and retry.",
  "message_too_large": "This message is too long.",
  "bad_request": "The server could not read this message.",
  "invalid_room":
    "Room names are 1 to 64 letters, digits, “-” or “_”, without spaces.",
  "too_many_rooms": "You are in too many rooms. Leave one first.",
  "invalid_name": "That name cannot be used.",
  "disconnected": "You are offline. Try again once connected.",
  "unauthorized": "You could not be signed in.",
  "token_expired": "Your sign-in expired; signing in again.",
  "auth_required": "Sign in to chat here.",
  "read_only": "Guests may only read here. Sign in to send messages.",
  "forbidden": "You cannot use this room.",
  "name_taken": "Someone signed in here uses that name. Pick another.",
  "too_many_connections": "You have too many chat tabs open.",
  "banned": "You are banned from this room.",
  "not_found": "That message is gone.",
  "edit_window_closed": "The time to change this message has passed.",
  "too_many_edits": "This message cannot be edited any more.",
};

/** What the page says when the server took the user out of a room. */
const ENDED_TEXT = {
  banned: (label) => `You were banned from ${label} by a moderator.`,
  kicked: (label) =>
    `A moderator removed you from ${label}. You may join it again.`,
  forbidden: (label) => `You no longer have access to ${label}.`,
};

/**
 * A sentence for the user about a ChatError.
 * @param {unknown} error
 * @returns {string}
 */
export function reason(error) {
  return ERROR_TEXT[error?.code] ?? error?.message ?? "Request failed.";
}

/**
 * Why the user is no longer in a room, or "" for a reason it does not know.
 * @param {string} why the room's `left` reason: `banned`, `kicked`, `forbidden`
 * @param {string} label what the page calls the room
 * @returns {string}
 */
export function endedText(why, label) {
  return ENDED_TEXT[why]?.(label) ?? "";
}
