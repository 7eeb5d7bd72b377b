// The message box: Enter sends and Shift+Enter breaks the line, it grows
// with its text, counts bytes near the limit, and edits a message in place
// of a new one: ↑ in an empty box takes the user's last message, Esc puts
// the box back as it was.

import { utf8Length } from "./format.js";

/**
 * @typedef {{ id: number, text: string }} Editable
 * @typedef {{
 *   maxBytes: () => number,
 *   send: (text: string) => void,
 *   edit: (message: Editable, text: string) => void,
 *   typing: () => void,
 *   lastEditable: () => Editable | undefined,
 *   tooLong: (max: number) => void,
 * }} ComposerHooks
 */

export class Composer {
  #form;
  #text;
  #counter;
  #bar;
  #hooks;
  /** @type {Editable | null} the message being edited */
  #editing = null;
  /** What the box held before editing began. */
  #draft = "";

  /**
   * @param {{ form: HTMLFormElement, text: HTMLTextAreaElement, counter: HTMLElement, editing: HTMLElement, cancel: HTMLButtonElement }} parts
   * @param {ComposerHooks} hooks
   */
  constructor(parts, hooks) {
    this.#form = parts.form;
    this.#text = parts.text;
    this.#counter = parts.counter;
    this.#bar = parts.editing;
    this.#hooks = hooks;
    this.#form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.#text.addEventListener("keydown", (event) => this.#onKey(event));
    this.#text.addEventListener("input", () => {
      this.#changed();
      if (!this.#editing && this.#text.value.trim()) hooks.typing();
    });
    parts.cancel.addEventListener("click", () => {
      this.cancelEditing();
      this.#text.focus();
    });
  }

  /** The message being edited, if any. */
  get editing() {
    return this.#editing;
  }

  /** Sends the box's text, or saves the edit. */
  submit() {
    const text = this.#text.value;
    if (!text.trim()) return;
    const max = this.#hooks.maxBytes();
    if (utf8Length(text) > max) return this.#hooks.tooLong(max);
    const editing = this.#editing;
    if (editing) {
      if (text !== editing.text) this.#hooks.edit(editing, text);
      this.cancelEditing();
    } else {
      this.#hooks.send(text);
      this.#setText("");
    }
  }

  /**
   * Puts `message` in the box to edit it.
   * @param {Editable} message
   */
  startEditing(message) {
    if (!this.#editing) this.#draft = this.#text.value;
    this.#editing = message;
    this.#bar.hidden = false;
    this.#form.classList.add("is-editing");
    this.#setText(message.text);
    this.#text.focus();
    this.#text.setSelectionRange(message.text.length, message.text.length);
  }

  /** Leaves editing, with the draft back in the box. */
  cancelEditing() {
    if (!this.#editing) return;
    this.#editing = null;
    this.#bar.hidden = true;
    this.#form.classList.remove("is-editing");
    this.#setText(this.#draft);
    this.#draft = "";
  }

  /** Recounts after the limit changed. */
  updateCounter() {
    const max = this.#hooks.maxBytes();
    const used = utf8Length(this.#text.value);
    this.#counter.hidden = used < max * 0.8;
    this.#counter.textContent = `${used} / ${max}`;
    this.#counter.dataset.over = used > max ? "true" : "false";
  }

  /** @param {string} text */
  #setText(text) {
    this.#text.value = text;
    this.#changed();
  }

  #changed() {
    this.#text.style.height = "auto";
    this.#text.style.height = `${this.#text.scrollHeight}px`;
    this.updateCounter();
  }

  /** @param {KeyboardEvent} event */
  #onKey(event) {
    if (event.isComposing) return;
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      this.submit();
    } else if (event.key === "Escape" && this.#editing) {
      event.preventDefault();
      event.stopPropagation();
      this.cancelEditing();
    } else if (
      event.key === "ArrowUp" && !event.altKey && !event.shiftKey &&
      !event.ctrlKey && !event.metaKey && this.#text.value === ""
    ) {
      const message = this.#hooks.lastEditable();
      if (!message) return;
      event.preventDefault();
      this.startEditing(message);
    }
  }
}
