// A popup menu of actions (the WAI-ARIA menu button pattern): opened from a
// button, its items take focus; ↑/↓, Home and End move between them, Enter
// or a click runs one, Esc closes it and gives focus back to the button, and
// Tab or a click elsewhere closes it.

/**
 * @typedef {{ label: string, run: () => void, danger?: boolean }} MenuItem
 */

export class Menu {
  #element;
  /** @type {HTMLElement | null} */
  #button = null;

  /** @param {HTMLElement} element an empty element with role="menu" */
  constructor(element) {
    this.#element = element;
    element.addEventListener("keydown", (event) => this.#onKey(event));
    element.addEventListener("focusout", (event) => {
      if (!element.contains(/** @type {Node} */ (event.relatedTarget))) {
        this.close(false);
      }
    });
    document.addEventListener("pointerdown", (event) => {
      const target = /** @type {Node} */ (event.target);
      if (!element.contains(target) && !this.#button?.contains(target)) {
        this.close(false);
      }
    });
  }

  /** Whether the menu is open. */
  get open() {
    return !this.#element.hidden;
  }

  /**
   * Opens the menu under `button` with `items`, focusing the first.
   * @param {HTMLElement} button
   * @param {string} label what the menu is about, for screen readers
   * @param {MenuItem[]} items
   */
  show(button, label, items) {
    this.close(false);
    this.#button = button;
    const buttons = items.map((item) => {
      const entry = document.createElement("button");
      entry.type = "button";
      entry.setAttribute("role", "menuitem");
      entry.tabIndex = -1;
      entry.className = item.danger ? "danger" : "";
      entry.textContent = item.label;
      entry.addEventListener("click", () => {
        this.close(true);
        item.run();
      });
      return entry;
    });
    this.#element.replaceChildren(...buttons);
    this.#element.setAttribute("aria-label", label);
    this.#element.hidden = false;
    button.setAttribute("aria-expanded", "true");
    this.#place(button);
    buttons[0]?.focus();
  }

  /**
   * Closes the menu.
   * @param {boolean} restoreFocus whether the button takes focus back
   */
  close(restoreFocus) {
    if (this.#element.hidden) return;
    this.#element.hidden = true;
    const button = this.#button;
    this.#button = null;
    button?.setAttribute("aria-expanded", "false");
    if (restoreFocus && button?.isConnected) button.focus();
  }

  /** @param {HTMLElement} button */
  #place(button) {
    const box = button.getBoundingClientRect();
    const menu = this.#element.getBoundingClientRect();
    const below = box.bottom + menu.height + 8 < innerHeight;
    const top = below ? box.bottom + 4 : box.top - menu.height - 4;
    const left = Math.min(
      Math.max(8, box.right - menu.width),
      innerWidth - menu.width - 8,
    );
    this.#element.style.top = `${Math.max(8, top)}px`;
    this.#element.style.left = `${left}px`;
  }

  /** @param {KeyboardEvent} event */
  #onKey(event) {
    const items = [...this.#element.querySelectorAll('[role="menuitem"]')];
    const index = items.indexOf(
      /** @type {Element} */ (document.activeElement),
    );
    const move = {
      ArrowDown: index + 1,
      ArrowUp: index - 1,
      Home: 0,
      End: items.length - 1,
    }[event.key];
    if (move !== undefined) {
      event.preventDefault();
      const next = items[(move + items.length) % items.length];
      /** @type {HTMLElement | undefined} */ (next)?.focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      this.close(true);
    } else if (event.key === "Tab") {
      this.close(true);
    }
  }
}
