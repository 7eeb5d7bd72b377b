// Rooms the server refused to join, said in one notice per reason
// ("Cannot join #a, #b: …") until the user dismisses the notices.

/**
 * @typedef {{ labelFor: (name: string) => string, notice: (text: string, detail: string | undefined, key: string) => void }} RefusalHooks
 */

/** The refused rooms, by the reason the server gave. */
export class JoinRefusals {
  /** @type {Map<string, string[]>} */
  #names = new Map();
  #hooks;

  /** @param {RefusalHooks} hooks */
  constructor(hooks) {
    this.#hooks = hooks;
  }

  /**
   * Adds the room `name` to the notice for `why`.
   * @param {string} name
   * @param {string} why the reason, in the user's words
   * @param {string} [detail] the server's own words, as a tooltip
   */
  add(name, why, detail) {
    const names = this.#names.get(why) ?? [];
    if (!names.includes(name)) names.push(name);
    this.#names.set(why, names);
    this.#hooks.notice(
      `Cannot join ${names.map(this.#hooks.labelFor).join(", ")}: ${why}`,
      detail,
      `join:${why}`,
    );
  }

  /** Forgets them all, once their notices are gone. */
  clear() {
    this.#names.clear();
  }
}
