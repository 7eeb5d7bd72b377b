// In place of the message box, why the user cannot write in the room in
// view: a moderator took them out of it (with Join again when they were
// only removed), they lost access, or the host application signed them out.

import { endedText } from "./error_text.js";
import { DEFAULT_ROOM } from "./rooms.js";

/**
 * @typedef {import("./room_view.js").RoomView} RoomView
 * @typedef {{ ended: HTMLElement, endedText: HTMLElement, rejoin: HTMLElement, closeRoom: HTMLElement, composer: HTMLElement, composerHelp: HTMLElement }} EndedParts
 * @typedef {{ labelFor: (name: string) => string, rejoin: () => void, close: () => void, hid: () => void }} EndedHooks
 *   `hid`: the message box was hidden
 */

/** The panel that replaces the message box. */
export class EndedPanel {
  /** Whether the host application ended the user's connections (close 4410). */
  signedOut = false;
  #parts;
  #hooks;

  /**
   * @param {EndedParts} parts
   * @param {EndedHooks} hooks
   */
  constructor(parts, hooks) {
    this.#parts = parts;
    this.#hooks = hooks;
    parts.rejoin.addEventListener("click", () => hooks.rejoin());
    parts.closeRoom.addEventListener("click", () => hooks.close());
  }

  /**
   * Shows why the user cannot write in `view`, or the message box.
   * @param {RoomView | undefined} view the room in view
   */
  render(view) {
    const parts = this.#parts;
    const ended = view?.ended;
    const text = this.signedOut
      ? "You were signed out. Sign in again, then reload this page."
      : ended
      ? endedText(ended, this.#hooks.labelFor(view.name))
      : "";
    parts.ended.hidden = !text;
    parts.endedText.textContent = text;
    parts.rejoin.hidden = this.signedOut || ended !== "kicked";
    parts.closeRoom.hidden = this.signedOut ||
      view?.name === DEFAULT_ROOM;
    parts.composer.hidden = Boolean(text);
    parts.composerHelp.hidden = Boolean(text);
    if (text) this.#hooks.hid();
  }
}
