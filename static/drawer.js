// On phones the sidebar is a drawer over the messages: the menu button opens
// and closes it, a tap on the scrim or on a room closes it, and so does Esc,
// which gives focus back to the menu button. Opening it puts focus on the
// room in view.

/** The sidebar as a drawer. */
export class Drawer {
  #parts;

  /**
   * @param {{ app: HTMLElement, sidebar: HTMLElement, menu: HTMLElement, scrim: HTMLElement }} parts
   */
  constructor(parts) {
    this.#parts = parts;
    parts.sidebar.addEventListener("click", (event) => {
      if (event.target.closest(".room-link")) this.close();
    });
    parts.menu.addEventListener("click", () => {
      if (this.isOpen) this.close();
      else this.open();
    });
    parts.scrim.addEventListener("click", () => this.close());
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !this.isOpen) return;
      this.close();
      parts.menu.focus();
    });
  }

  /** Whether the drawer is open. */
  get isOpen() {
    return this.#parts.app.dataset.drawer === "open";
  }

  /** Opens the drawer, focused on the room in view. */
  open() {
    this.#parts.app.dataset.drawer = "open";
    this.#parts.menu.setAttribute("aria-expanded", "true");
    this.#parts.scrim.hidden = false;
    this.#parts.sidebar.querySelector('[aria-current="page"]')?.focus();
  }

  /** Closes the drawer, if it is open. */
  close() {
    if (!this.isOpen) return;
    this.#parts.app.dataset.drawer = "";
    this.#parts.menu.setAttribute("aria-expanded", "false");
    this.#parts.scrim.hidden = true;
  }
}
