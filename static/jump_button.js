// The button that brings the newest message into view, shown while the user
// is scrolled up: "3 new messages ↓" when others wrote since the user was
// last at the bottom, else "Jump to latest ↓". Being at the bottom is also
// what marks the room's messages as seen.

/** Closer to the bottom than this counts as "at the bottom". */
const BOTTOM_PX = 48;

/**
 * @typedef {import("./message_renderer.js").Message} Message
 * @typedef {import("./message_renderer.js").Room} Room
 * @typedef {{ isOwn: (message: Message) => boolean, onSeen: (room: Room, id: number) => void }} JumpHooks
 */

/**
 * Whether `scroller` is scrolled to its end.
 * @param {HTMLElement} scroller
 * @returns {boolean}
 */
export function isAtBottom(scroller) {
  const { scrollHeight, scrollTop, clientHeight } = scroller;
  return scrollHeight - scrollTop - clientHeight < BOTTOM_PX;
}

/** The "new messages" button of the message list, and what the user has seen. */
export class JumpButton {
  #button;
  #scroller;
  #hooks;
  /**
   * The newest message id the user has seen at the bottom: messages from
   * others after it are "new" while the user is scrolled up.
   */
  #seenId = 0;

  /**
   * @param {HTMLButtonElement} button
   * @param {HTMLElement} scroller the list it jumps in
   * @param {JumpHooks} hooks
   */
  constructor(button, scroller, hooks) {
    this.#button = button;
    this.#scroller = scroller;
    this.#hooks = hooks;
  }

  /**
   * Counts the room's messages so far as seen.
   * @param {Room} room
   */
  seeAll(room) {
    this.#seenId = room.messages.at(-1)?.id ?? 0;
  }

  /**
   * Marks what is seen when the view is at the newest message, then shows
   * or hides the button.
   * @param {Room | null} room the room in view
   * @param {boolean} behind whether newer messages than the rendered ones exist
   */
  update(room, behind) {
    const atBottom = isAtBottom(this.#scroller);
    if (room && !behind && atBottom) {
      const newest = room.messages.at(-1)?.id ?? this.#seenId;
      if (newest > this.#seenId || room.readId < Math.floor(newest)) {
        this.#hooks.onSeen(room, Math.floor(newest));
      }
      this.#seenId = newest;
    }
    const fresh = this.#unseen(room);
    const { scrollHeight, scrollTop, clientHeight } = this.#scroller;
    const show = !atBottom &&
      (behind || fresh > 0 || scrollHeight - scrollTop > clientHeight * 2);
    this.#button.hidden = !show;
    this.#button.textContent = fresh > 0
      ? `${fresh} new message${fresh === 1 ? "" : "s"} ↓`
      : "Jump to latest ↓";
  }

  /**
   * Messages from others since the user was last at the bottom.
   * @param {Room | null} room
   */
  #unseen(room) {
    const messages = room?.messages ?? [];
    let count = 0;
    for (let i = messages.length - 1; i >= 0; i--) {
      const message = messages[i];
      if (message.id <= this.#seenId) break;
      if (!message.system && !this.#hooks.isOwn(message)) count++;
    }
    return count;
  }
}
