// The quick switcher (Ctrl+K): a dialog with a box that filters the rooms by
// name as the user types, ↑/↓ to pick, Enter to go; a valid room name not
// joined yet is offered too. The combobox follows the WAI-ARIA pattern: focus
// stays in the box, and aria-activedescendant names the option picked.

import { normalizeRoom } from "./format.js";
import { optionIndex, showOptions } from "./listbox.js";

/**
 * @typedef {{ name: string, label: string }} RoomChoice
 * @typedef {RoomChoice & { join?: true }} Option
 */

/**
 * The options for `query`: rooms whose label holds it, in their order, then
 * joining the room `query` names if that is a room not in the list.
 * @param {RoomChoice[]} rooms
 * @param {string} query
 * @returns {Option[]}
 */
export function switcherOptions(rooms, query) {
  const wanted = query.trim().replace(/^[#@]/, "").toLowerCase();
  /** @type {Option[]} */
  const options = rooms.filter((room) =>
    room.label.slice(1).toLowerCase().includes(wanted)
  );
  const name = wanted ? normalizeRoom(wanted) : null;
  if (name && !rooms.some((room) => room.name === name)) {
    options.push({ name, label: `Join #${name}`, join: true });
  }
  return options;
}

export class Switcher {
  #dialog;
  #input;
  #list;
  #rooms;
  #go;
  /** @type {Option[]} */
  #options = [];
  #active = 0;

  /**
   * @param {HTMLDialogElement} dialog holding an input and a listbox
   * @param {() => RoomChoice[]} rooms the rooms to offer, in order
   * @param {(name: string) => void} go opens a room
   */
  constructor(dialog, rooms, go) {
    this.#dialog = dialog;
    this.#input =
      /** @type {HTMLInputElement} */ (dialog.querySelector("input"));
    this.#list = /** @type {HTMLElement} */ (
      dialog.querySelector('[role="listbox"]')
    );
    this.#rooms = rooms;
    this.#go = go;
    this.#input.addEventListener("input", () => this.#update(0));
    this.#input.addEventListener("keydown", (event) => this.#onKey(event));
    this.#list.addEventListener("click", (event) => {
      const index = optionIndex(event);
      if (index !== null) this.#choose(index);
    });
  }

  open() {
    this.#input.value = "";
    this.#update(0);
    this.#dialog.showModal();
    this.#input.focus();
  }

  /** @param {number} active */
  #update(active) {
    this.#options = switcherOptions(this.#rooms(), this.#input.value);
    this.#active = Math.min(active, this.#options.length - 1);
    showOptions(
      this.#list,
      this.#input,
      this.#options.map((option) => option.label),
      this.#active,
    );
  }

  /** @param {KeyboardEvent} event */
  #onKey(event) {
    const count = this.#options.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (count === 0) return;
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.#update((this.#active + step + count) % count);
    } else if (event.key === "Enter") {
      event.preventDefault();
      this.#choose(this.#active);
    }
  }

  /** @param {number} index */
  #choose(index) {
    const option = this.#options[index];
    if (!option) return;
    this.#dialog.close();
    this.#go(option.name);
  }
}
