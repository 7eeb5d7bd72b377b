// The message list of the room in view. Only a window of the room's messages
// is in the DOM (at most MAX_RENDERED), so a room with 10,000 messages stays
// smooth: scrolling near an edge slides the window, and the scroll position
// is kept by re-anchoring on the message that was at the top of the view.
// It also says whether the room is empty or has older messages, and opens a
// room at the "new since you left" line.

import { relativeTime } from "./format.js";
import { isAtBottom, JumpButton } from "./jump_button.js";
import { MessageWindow } from "./message_window.js";
import { CHUNK, WindowSlider } from "./window_slider.js";

/** Messages rendered when a room is shown or the view jumps to the latest. */
const WINDOW_SIZE = 150;
/** Most messages kept in the DOM at once. */
export const MAX_RENDERED = 300;

/**
 * @typedef {import("./message_renderer.js").Message} Message
 * @typedef {import("./message_renderer.js").Room} Room
 */

/** The scrolling list of the room in view. */
export class MessageList {
  #scroller;
  #window;
  #jump;
  #empty;
  #top;
  #slider;
  /** Whether the view should open at the mark once messages render. */
  #openAtMark = false;
  /** @type {Room | null} */
  #room = null;

  /**
   * @param {{ scroller: HTMLElement, list: HTMLElement, pendingList: HTMLElement, jump: HTMLButtonElement, empty: HTMLElement, top: HTMLElement, isOwn: (message: { user: string, userId?: string }) => boolean, hasActions: (message: Message) => boolean, markup: () => import("./markup.js").MarkupOptions, markGuests: () => boolean, onNeedOlder: (room: Room) => void, onSeen: (room: Room, id: number) => void }} parts
   */
  constructor(parts) {
    this.#scroller = parts.scroller;
    this.#window = new MessageWindow(parts, parts);
    this.#jump = new JumpButton(parts.jump, parts.scroller, parts);
    this.#empty = parts.empty;
    this.#top = parts.top;
    this.#slider = new WindowSlider(parts.scroller, this.#window, {
      maxRendered: MAX_RENDERED,
      room: () => this.#room,
      render: (from, to) => this.#renderRange(from, to, "keep"),
      onNeedOlder: parts.onNeedOlder,
      renderChrome: () => this.#renderChrome(),
      updateJump: () => this.#updateJump(),
    });
    parts.jump.addEventListener("click", () => this.jumpToLatest());
  }

  /** Whether the view is scrolled to the newest message. */
  get atBottom() {
    return isAtBottom(this.#scroller);
  }

  /**
   * Shows `room` from its newest messages.
   * @param {Room} room
   */
  show(room) {
    this.#room = room;
    this.#jump.seeAll(room);
    this.#window.mark = room.readMark > 0 ? room.readMark : Infinity;
    this.#openAtMark = this.#window.mark !== Infinity;
    this.#renderTail();
  }

  /** Brings the newest message into view. */
  jumpToLatest() {
    if (!this.#room) return;
    this.#jump.seeAll(this.#room);
    this.#renderTail();
  }

  /** Brings the DOM up to date with the room's messages; cheap when nothing changed. */
  refresh() {
    const room = this.#room;
    if (!room) return;
    const messages = room.messages;
    const stick = this.atBottom;
    const { first, last, count } = this.#window;
    if (!first || !last) {
      if (messages.length > 0) this.#renderTail();
      this.#renderChrome();
      return;
    }
    const firstIndex = messages.indexOf(first);
    const lastIndex = messages.lastIndexOf(last);
    if (
      firstIndex < 0 || lastIndex < 0 || lastIndex - firstIndex + 1 !== count
    ) {
      // Something was inserted inside the window or dropped from memory.
      if (stick) this.#renderTail();
      else this.#renderRange(Math.max(0, firstIndex), lastIndex, "keep");
      return;
    }
    const added = messages.length - 1 - lastIndex;
    if (added > 0) {
      if (stick && added > CHUNK) {
        this.#renderTail();
        return;
      }
      if (stick || count + added <= MAX_RENDERED) {
        const fresh = messages.slice(lastIndex + 1);
        this.#window.append(fresh, messages[lastIndex]);
      }
      if (stick && this.#window.count > MAX_RENDERED) {
        this.#renderRange(
          messages.length - WINDOW_SIZE,
          messages.length - 1,
          "bottom",
        );
        return;
      }
    }
    this.#renderPending();
    this.#renderChrome();
    if (stick) this.#scrollToBottom();
  }

  /**
   * Renders a message again in place after an edit or a deletion.
   * @param {Message} message
   */
  updated(message) {
    this.#window.updated(message);
  }

  /** Called when older messages arrived from the server: slide the window up. */
  olderLoaded() {
    this.#slider.slideUp();
  }

  /** Re-renders the own pending messages (they always follow the list). */
  pendingChanged() {
    const stick = this.atBottom;
    this.#renderPending();
    this.#renderChrome();
    if (stick) this.#scrollToBottom();
  }

  /** Refreshes every relative time in view. */
  updateTimes() {
    const now = Date.now();
    for (const time of this.#scroller.querySelectorAll("time[data-ts]")) {
      time.textContent = relativeTime(Number(time.dataset.ts), now);
    }
  }

  #renderTail() {
    const messages = this.#room.messages;
    let from = Math.max(0, messages.length - WINDOW_SIZE);
    if (this.#openAtMark) {
      const mark = this.#window.mark;
      const first = messages.findIndex((message) => message.id > mark);
      if (first >= 0) from = Math.min(from, Math.max(0, first - 10));
    }
    this.#renderRange(
      from,
      Math.min(messages.length - 1, from + MAX_RENDERED - 1),
      "bottom",
    );
  }

  /**
   * @param {number} from
   * @param {number} to inclusive
   * @param {"bottom" | "keep"} scroll
   */
  #renderRange(from, to, scroll) {
    const anchor = scroll === "keep"
      ? this.#window.anchor(this.#scroller)
      : null;
    this.#window.render(this.#room.messages, from, to);
    this.#renderPending();
    this.#renderChrome();
    if (anchor) this.#window.restore(this.#scroller, anchor);
    else if (!this.#scrollToMark()) this.#scrollToBottom();
  }

  /**
   * Once, when the room's messages first render: puts the "new since you
   * left" line at the top of the view, when what follows it fills the view.
   * @returns {boolean} whether it did
   */
  #scrollToMark() {
    if (!this.#openAtMark || !this.#window.first) return false;
    this.#openAtMark = false;
    const line = this.#window.markLine;
    if (!line) {
      this.#window.mark = Infinity;
      return false;
    }
    const top = line.offsetTop - this.#scroller.offsetTop - 8;
    if (this.#scroller.scrollHeight - top <= this.#scroller.clientHeight) {
      return false;
    }
    this.#scroller.scrollTop = top;
    this.#updateJump();
    return true;
  }

  #renderPending() {
    this.#window.renderPending(this.#room?.pending ?? []);
  }

  #renderChrome() {
    const room = this.#room;
    if (!room) return;
    const nothing = room.messages.length === 0 && room.pending.size === 0;
    this.#empty.hidden = !nothing || !room.joined;
    const first = this.#window.first;
    const atStart = !first || first === room.messages[0];
    const older = !atStart || room.hasMore;
    this.#top.dataset.state = room.loadingOlder
      ? "loading"
      : older
      ? "more"
      : room.joined && !nothing
      ? "start"
      : "none";
    this.#updateJump();
  }

  #updateJump() {
    const room = this.#room;
    this.#jump.update(
      room,
      Boolean(room) && this.#window.last !== room.messages.at(-1),
    );
  }

  #scrollToBottom() {
    this.#scroller.scrollTop = this.#scroller.scrollHeight;
    this.#updateJump();
  }
}
