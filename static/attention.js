// When the page asks for the user's attention, pure: the unread count in the
// tab's title, and which messages deserve a desktop notification (mentions
// and direct messages, while the tab is hidden, in rooms not muted, once the
// user has turned notifications on).

/** Longest notification body, in characters. */
const MAX_BODY = 140;

/**
 * The tab's title: the unread count first, when there is one.
 * @param {string} label the room in view
 * @param {number} unread messages unread in rooms not muted
 * @returns {string}
 */
export function titleFor(label, unread) {
  const count = unread > 99 ? "99+" : String(unread);
  return unread > 0 ? `(${count}) ${label} · Chat` : `${label} · Chat`;
}

/**
 * Whether a message that just arrived deserves a desktop notification.
 * @param {{ enabled: boolean, hidden: boolean, muted: boolean, own: boolean, mention: boolean, direct: boolean }} facts
 * @returns {boolean}
 */
export function shouldNotify(facts) {
  return facts.enabled && facts.hidden && !facts.muted && !facts.own &&
    (facts.mention || facts.direct);
}

/**
 * A notification's body: the text on one line, cut short.
 * @param {string} text
 * @returns {string}
 */
export function notificationBody(text) {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > MAX_BODY ? `${line.slice(0, MAX_BODY - 1)}…` : line;
}
