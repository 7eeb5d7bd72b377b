// Rooms in the URL: the page's address names the room in view (`/#/room`),
// so a link opens it and Back goes to the room before.

import { normalizeRoom } from "./format.js";

/**
 * The room a URL's hash names: `{ name }`, `{ invalid }` with what it said
 * when that is no room name, or null when it names none.
 * @param {string} hash `location.hash`
 * @returns {{ name: string } | { invalid: string } | null}
 */
export function roomFromHash(hash) {
  const match = hash.match(/^#\/(.+)$/);
  if (!match) return null;
  let said = match[1];
  try {
    said = decodeURIComponent(said);
  } catch {
    // Not valid percent-encoding: shown as it is.
  }
  const name = normalizeRoom(said);
  return name ? { name } : { invalid: said };
}

/**
 * The room's link: a direct room's name holds `%` and `:`, which a URL must escape.
 * @param {string} name
 * @returns {string}
 */
export function hashFor(name) {
  return `#/${encodeURIComponent(name)}`;
}
