// The notices above the message box: several at once (a refused join does
// not hide another), each on its own line, a newer one with the same key
// in place of the older, at most MAX_NOTICES.

/** Most notices shown at once; older ones go. */
const MAX_NOTICES = 4;

export class Notices {
  #box;
  #lines;
  /** @type {Map<string, { text: string, detail?: string }>} oldest first */
  #shown = new Map();

  /**
   * @param {HTMLElement} box the notice area, hidden when empty
   * @param {HTMLElement} lines where the lines go
   */
  constructor(box, lines) {
    this.#box = box;
    this.#lines = lines;
  }

  /**
   * Shows `text` below the others; one with the same `key` is replaced.
   * @param {string} text
   * @param {string} [detail] the server's own words, as a tooltip
   * @param {string} [key]
   */
  show(text, detail, key = text) {
    if (!text) return;
    this.#shown.delete(key);
    this.#shown.set(key, { text, detail });
    for (const old of this.#shown.keys()) {
      if (this.#shown.size <= MAX_NOTICES) break;
      this.#shown.delete(old);
    }
    this.#render();
  }

  /** Takes every notice away. */
  clear() {
    this.#shown.clear();
    this.#render();
  }

  #render() {
    const lines = [...this.#shown.values()].map(({ text, detail }) => {
      const line = document.createElement("span");
      line.className = "notice-line";
      line.textContent = text;
      if (detail) line.title = detail;
      return line;
    });
    this.#lines.replaceChildren(...lines);
    this.#box.hidden = lines.length === 0;
  }
}
