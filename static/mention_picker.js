// @-autocomplete in the message box: typing @ and the start of a name lists
// the room's members who match; ↑/↓ pick, Enter or Tab put the name in, Esc
// closes the list. Focus stays in the box (aria-activedescendant names the
// pick), and its keys go to the list only while the list is open.

import { optionIndex, showOptions } from "./listbox.js";
import {
  insertMention,
  mentionAt,
  mentionCandidates,
} from "./mention_complete.js";

export class MentionPicker {
  #text;
  #list;
  #names;
  /** @type {string[]} */
  #candidates = [];
  #active = 0;
  /** @type {{ start: number, query: string } | null} */
  #typed = null;

  /**
   * @param {HTMLTextAreaElement} text the message box
   * @param {HTMLElement} list an empty element with role="listbox"
   * @param {() => string[]} names who may be mentioned now
   */
  constructor(text, list, names) {
    this.#text = text;
    this.#list = list;
    this.#names = names;
    // Capturing, so the box's own keys (Enter sends) wait while the list is open.
    text.addEventListener("keydown", (event) => this.#onKey(event), {
      capture: true,
    });
    text.addEventListener("input", () => this.#update());
    text.addEventListener("blur", () => this.close());
    list.addEventListener("pointerdown", (event) => {
      // Keep focus in the box; the click picks.
      event.preventDefault();
      const index = optionIndex(event);
      if (index !== null) this.#pick(index);
    });
  }

  /** Whether the list is open. */
  get open() {
    return !this.#list.hidden;
  }

  close() {
    this.#typed = null;
    this.#candidates = [];
    this.#list.hidden = true;
    this.#list.replaceChildren();
    this.#text.removeAttribute("aria-activedescendant");
  }

  #update() {
    const caret = this.#text.selectionStart;
    const typed = caret === this.#text.selectionEnd
      ? mentionAt(this.#text.value, caret)
      : null;
    const candidates = typed
      ? mentionCandidates(this.#names(), typed.query)
      : [];
    if (!typed || candidates.length === 0) return this.close();
    this.#typed = typed;
    this.#candidates = candidates;
    this.#active = 0;
    this.#render();
  }

  #render() {
    this.#list.hidden = false;
    showOptions(this.#list, this.#text, this.#candidates, this.#active);
  }

  /** @param {KeyboardEvent} event */
  #onKey(event) {
    if (!this.open || event.isComposing) return;
    const count = this.#candidates.length;
    const handled = () => {
      event.preventDefault();
      event.stopImmediatePropagation();
    };
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      handled();
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.#active = (this.#active + step + count) % count;
      this.#render();
    } else if (
      (event.key === "Enter" && !event.shiftKey) || event.key === "Tab"
    ) {
      handled();
      this.#pick(this.#active);
    } else if (event.key === "Escape") {
      handled();
      this.close();
    }
  }

  /** @param {number} index */
  #pick(index) {
    const name = this.#candidates[index];
    const typed = this.#typed;
    if (name === undefined || !typed) return;
    const { text, caret } = insertMention(this.#text.value, {
      start: typed.start,
      caret: this.#text.selectionStart,
      name,
    });
    this.close();
    this.#text.value = text;
    this.#text.setSelectionRange(caret, caret);
    // Lets the composer grow and count as for typing.
    this.#text.dispatchEvent(new Event("input", { bubbles: true }));
  }
}
