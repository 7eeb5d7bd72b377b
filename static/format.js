// Pure helpers of the chat page: names, rooms, colours and times. No DOM.
// The name and room rules repeat the server's (server/protocol.ts and
// chat/rooms.ts), which a page served as it is cannot import:
// static/format_test.ts holds them equal.

/** Longest display name in code points (docs/protocol.md "Display names"). */
export const MAX_NAME_LENGTH = 32;
/** Room names: 1 to 64 ASCII letters, digits, "-" and "_", folded to lower case. */
const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Controls, private-use, unassigned and format characters except U+200D. */
const FORBIDDEN_IN_NAME = /[\p{Cc}\p{Co}\p{Cn}]|(?!\u200d)\p{Cf}/u;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Prefix of a direct-message room's name (chat/rooms.ts). */
const DIRECT_PREFIX = "dm:";
/** Longest user id. */
const MAX_USER_ID_LENGTH = 128;

/**
 * Folds a room name to the server's form, or returns null when it is
 * invalid. A direct room (`dm:` and two user ids) keeps its case and must be
 * in its canonical form.
 * @param {string} name
 * @returns {string | null}
 */
export function normalizeRoom(name) {
  const trimmed = name.trim().replace(/^#/, "");
  if (trimmed.startsWith(DIRECT_PREFIX)) {
    return directRoomUsers(trimmed) ? trimmed : null;
  }
  return ROOM_PATTERN.test(trimmed) ? trimmed.toLowerCase() : null;
}

/**
 * The direct-message room of two users: `dm:` and both ids percent-encoded
 * and sorted, so either computes the same name.
 * @param {string} userId
 * @param {string} otherId
 * @returns {string | null} null when the ids are the same, empty or too long
 */
export function directRoom(userId, otherId) {
  const ids = [userId, otherId];
  if (
    userId === otherId ||
    ids.some((id) => id.length < 1 || id.length > MAX_USER_ID_LENGTH)
  ) {
    return null;
  }
  const [first, second] = ids.map(encodeURIComponent).sort();
  return `${DIRECT_PREFIX}${first}:${second}`;
}

/**
 * The two user ids of a direct room in its canonical form, or null.
 * @param {string} room
 * @returns {[string, string] | null}
 */
export function directRoomUsers(room) {
  if (!room.startsWith(DIRECT_PREFIX)) return null;
  const parts = room.slice(DIRECT_PREFIX.length).split(":");
  if (parts.length !== 2) return null;
  try {
    const [first, second] = parts.map(decodeURIComponent);
    return directRoom(first, second) === room ? [first, second] : null;
  } catch {
    return null;
  }
}

/**
 * Checks a display name with the server's rules.
 * @param {string} name
 * @returns {{ name: string } | { error: string }}
 */
export function checkName(name) {
  if (!name.isWellFormed()) return { error: "Use only visible characters." };
  const normalized = name.normalize("NFC").trim();
  const length = [...normalized].length;
  if (length < 1) return { error: "Enter a name." };
  if (length > MAX_NAME_LENGTH) {
    return { error: `Use at most ${MAX_NAME_LENGTH} characters.` };
  }
  if (FORBIDDEN_IN_NAME.test(normalized)) {
    return { error: "Use only visible characters." };
  }
  return { name: normalized };
}

/**
 * One or two letters for an avatar.
 * @param {string} name
 * @returns {string}
 */
export function initials(name) {
  const words = name.trim().split(/[\s._-]+/u).filter(Boolean);
  const letters = words.slice(0, 2).map((word) => [...word][0]);
  return (letters.join("") || "?").toUpperCase();
}

/**
 * A stable hue (0 to 359) for a name, so each person keeps one colour.
 * @param {string} name
 * @returns {number}
 */
export function hueFor(name) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return hash % 360;
}

/**
 * Whether two timestamps fall on the same local calendar day.
 * @param {number} a
 * @param {number} b
 * @returns {boolean}
 */
export function sameDay(a, b) {
  return new Date(a).toDateString() === new Date(b).toDateString();
}

/**
 * "Today", "Yesterday" or a date, for day separators.
 * @param {number} ts
 * @param {number} now
 * @returns {string}
 */
export function dayLabel(ts, now = Date.now()) {
  if (sameDay(ts, now)) return "Today";
  if (sameDay(ts, now - DAY)) return "Yesterday";
  const date = new Date(ts);
  const thisYear = date.getFullYear() === new Date(now).getFullYear();
  return date.toLocaleDateString(undefined, {
    weekday: "long",
    month: "long",
    day: "numeric",
    year: thisYear ? undefined : "numeric",
  });
}

/**
 * "just now", "5 min ago", then the clock time: the day separator gives the date.
 * @param {number} ts
 * @param {number} now
 * @returns {string}
 */
export function relativeTime(ts, now = Date.now()) {
  const age = now - ts;
  if (age < MINUTE) return "just now";
  if (age < HOUR) return `${Math.floor(age / MINUTE)} min ago`;
  return clockTime(ts);
}

/**
 * Local hours and minutes.
 * @param {number} ts
 * @returns {string}
 */
export function clockTime(ts) {
  return new Date(ts).toLocaleTimeString(undefined, {
    hour: "2-digit",
    minute: "2-digit",
  });
}

/**
 * Full local date and time, for tooltips.
 * @param {number} ts
 * @returns {string}
 */
export function fullTime(ts) {
  return new Date(ts).toLocaleString(undefined, {
    dateStyle: "full",
    timeStyle: "short",
  });
}

const encoder = new TextEncoder();

/**
 * Size of a text in UTF-8 bytes, as the server counts it.
 * @param {string} text
 * @returns {number}
 */
export function utf8Length(text) {
  return encoder.encode(text).length;
}
