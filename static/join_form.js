// The sidebar's "join a room" box: a valid room name opens the room, and
// anything else marks the box invalid (its hint says what a name may hold)
// until the user types again.

import { normalizeRoom } from "./format.js";

/**
 * Listens to the form that joins a room.
 * @param {{ joinForm: HTMLFormElement, joinInput: HTMLInputElement, joinHint: HTMLElement }} parts
 * @param {(name: string) => void} open opens the room named
 */
export function listenToJoinForm(parts, open) {
  const { joinForm, joinInput, joinHint } = parts;
  joinForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = normalizeRoom(joinInput.value);
    if (!name) {
      joinInput.setAttribute("aria-invalid", "true");
      joinHint.dataset.error = "true";
      joinInput.focus();
      return;
    }
    joinInput.removeAttribute("aria-invalid");
    joinHint.dataset.error = "false";
    joinInput.value = "";
    open(name);
  });
  joinInput.addEventListener("input", () => {
    joinInput.removeAttribute("aria-invalid");
    joinHint.dataset.error = "false";
  });
}
