// The dialog where a guest picks the name others see, checked as they will
// be on the server. Leaving it without a name the first time keeps the one
// the server made up, and the page says how to pick one later.

import { checkName } from "./format.js";
import { savedName } from "./saved.js";

/**
 * @typedef {{ nameDialog: HTMLDialogElement, nameForm: HTMLFormElement, nameInput: HTMLInputElement, nameError: HTMLElement, nameCancel: HTMLButtonElement }} NameDialogParts
 * @typedef {{ me: () => string, signedIn: () => boolean, chosen: (name: string) => void, closed: () => void, notice: (text: string) => void }} NameDialogHooks
 *   `chosen`: the user picked a valid name; `closed`: the dialog went away
 */

/** The "Change name" dialog. */
export class NameDialog {
  #parts;

  /**
   * @param {NameDialogParts} parts
   * @param {NameDialogHooks} hooks
   */
  constructor(parts, hooks) {
    this.#parts = parts;
    parts.nameCancel.addEventListener("click", () => parts.nameDialog.close());
    parts.nameForm.addEventListener("submit", (event) => {
      const checked = checkName(parts.nameInput.value);
      if ("error" in checked) {
        event.preventDefault();
        parts.nameError.textContent = checked.error;
        parts.nameInput.setAttribute("aria-invalid", "true");
        return;
      }
      hooks.chosen(checked.name);
    });
    parts.nameDialog.addEventListener("close", () => {
      hooks.closed();
      if (!savedName() && !hooks.signedIn()) {
        const me = hooks.me();
        const name = me ? `“${me}”` : "a guest name";
        hooks.notice(
          `You are chatting as ${name}. Pick your own name any time with Change name.`,
        );
      }
    });
  }

  /**
   * Opens the dialog on the name shown now.
   * @param {string} name
   */
  open(name) {
    const parts = this.#parts;
    parts.nameInput.value = name;
    parts.nameError.textContent = "";
    parts.nameInput.removeAttribute("aria-invalid");
    // The first time, leaving the dialog keeps the name the server made up.
    parts.nameCancel.textContent = savedName() ? "Cancel" : "Stay a guest";
    parts.nameDialog.showModal();
    parts.nameInput.select();
  }

  /** Closes the dialog, if it is open. */
  close() {
    if (this.#parts.nameDialog.open) this.#parts.nameDialog.close();
  }
}
