// The header and labels that name the room in view: its title, the message
// box's label and placeholder, the list's accessible name, and the mute and
// leave buttons (the default room cannot be left: the note says so).

/**
 * @typedef {{ mute: HTMLElement, roomName: HTMLElement, emptyRoom: HTMLElement, composerLabel: HTMLElement, text: HTMLTextAreaElement, scroller: HTMLElement, leave: HTMLElement, leaveNote: HTMLElement }} RoomHeaderParts
 */

/** What names the room in view. */
export class RoomHeader {
  #parts;

  /** @param {RoomHeaderParts} parts */
  constructor(parts) {
    this.#parts = parts;
  }

  /**
   * Names the room in view everywhere.
   * @param {string} label what the page calls it (`#name`, `@name`)
   * @param {{ muted: boolean, leavable: boolean }} options
   */
  show(label, { muted, leavable }) {
    const parts = this.#parts;
    parts.mute.setAttribute("aria-label", `Mute ${label}`);
    this.showMuted(muted);
    parts.roomName.textContent = label.slice(1);
    parts.emptyRoom.textContent = label;
    parts.composerLabel.textContent = `Message ${label}`;
    parts.text.placeholder = `Message ${label}`;
    parts.scroller.setAttribute("aria-label", `Messages in ${label}`);
    parts.leave.setAttribute("aria-label", `Leave ${label}`);
    parts.leave.hidden = !leavable;
    parts.leaveNote.hidden = leavable;
  }

  /**
   * Shows the mute button pressed, or not.
   * @param {boolean} muted
   */
  showMuted(muted) {
    this.#parts.mute.setAttribute("aria-pressed", String(muted));
  }
}
