// The line under the message box that says who is typing in the room in
// view, kept up to date as names time out.

import { typingLine } from "./typing.js";

/** The "… is typing" line. */
export class TypingIndicator {
  #element;
  #due;
  #timer = 0;

  /**
   * @param {HTMLElement} element
   * @param {() => void} due called when the line must be rendered again
   */
  constructor(element, due) {
    this.#element = element;
    this.#due = due;
  }

  /**
   * Says who is typing, and asks to be rendered again when that changes.
   * @param {import("./typing.js").TypingUsers | undefined} typing
   */
  render(typing) {
    clearTimeout(this.#timer);
    const now = Date.now();
    const text = typing ? typingLine(typing.names(now)) : "";
    if (this.#element.textContent !== text) this.#element.textContent = text;
    const next = typing?.nextChange();
    if (next != null) this.#timer = setTimeout(this.#due, next - now);
  }
}
