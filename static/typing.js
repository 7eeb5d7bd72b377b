// Who is typing in a room, from the server's volatile `typing` events: each
// user shows until `timeout` milliseconds pass without another event from
// them, or until a message of theirs arrives. Pure: the caller passes the
// time in and repaints when `nextChange()` comes.

/**
 * @typedef {{ id: string, name: string }} Typist
 */

export class TypingUsers {
  /** @type {Map<string, { name: string, until: number }>} by user id, oldest first */
  #users = new Map();
  #timeout;

  /** @param {number} timeout milliseconds a `typing` event lasts */
  constructor(timeout) {
    this.#timeout = timeout;
  }

  /**
   * Someone typed.
   * @param {Typist} user
   * @param {number} now
   */
  typed(user, now) {
    this.#users.delete(user.id);
    this.#users.set(user.id, { name: user.name, until: now + this.#timeout });
  }

  /**
   * Someone stopped: their message arrived, or they left.
   * @param {string | undefined} userId
   * @returns {boolean} whether they were shown
   */
  stopped(userId) {
    return userId !== undefined && this.#users.delete(userId);
  }

  /** Forgets everyone. */
  clear() {
    this.#users.clear();
  }

  /**
   * The names of those typing now, in the order they started.
   * @param {number} now
   * @returns {string[]}
   */
  names(now) {
    for (const [id, { until }] of this.#users) {
      if (until <= now) this.#users.delete(id);
    }
    return [...this.#users.values()].map((user) => user.name);
  }

  /**
   * When the next name goes away by itself, or `null` when nobody is typing.
   * @returns {number | null}
   */
  nextChange() {
    let next = null;
    for (const { until } of this.#users.values()) {
      if (next === null || until < next) next = until;
    }
    return next;
  }
}

/**
 * The line under the messages: "Ada is typing…", "Ada and Bo are typing…",
 * "Ada, Bo and Cy are typing…", then "Several people are typing…".
 * @param {string[]} names
 * @returns {string} empty when nobody is
 */
export function typingLine(names) {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length > 3) return "Several people are typing…";
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)} are typing…`;
}
