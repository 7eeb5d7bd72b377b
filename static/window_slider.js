// Slides the message list's window as the user scrolls near one of its
// edges: near the top it renders older messages from memory, or asks the
// server for them once memory has none older; near the bottom, newer ones
// from memory after the user scrolled back down. Each slide keeps the
// message at the top of the view where it was.

import { isAtBottom } from "./jump_button.js";

/** Messages added or dropped when the window slides. */
export const CHUNK = 100;
/** Distance from an edge, in pixels, at which the window slides. */
const EDGE_PX = 400;

/**
 * @typedef {import("./message_renderer.js").Room} Room
 * @typedef {import("./message_window.js").MessageWindow} MessageWindow
 * @typedef {{
 *   maxRendered: number,
 *   room: () => Room | null,
 *   render: (from: number, to: number) => void,
 *   onNeedOlder: (room: Room) => void,
 *   renderChrome: () => void,
 *   updateJump: () => void,
 * }} SlideHooks
 *   `maxRendered`: the most messages the window holds; `render`: renders
 *   the room's `messages[from..to]` (`to` inclusive) in place of the window,
 *   keeping the message at the top of the view where it is
 */

/** Slides the rendered window of the room in view as the user scrolls. */
export class WindowSlider {
  #scroller;
  #window;
  #hooks;
  #sliding = false;

  /**
   * @param {HTMLElement} scroller the list's scrolling box
   * @param {MessageWindow} window the rendered messages
   * @param {SlideHooks} hooks
   */
  constructor(scroller, window, hooks) {
    this.#scroller = scroller;
    this.#window = window;
    this.#hooks = hooks;
    this.#scroller.addEventListener("scroll", () => this.#onScroll(), {
      passive: true,
    });
  }

  #onScroll() {
    if (!this.#hooks.room() || this.#sliding) return;
    const { scrollTop, scrollHeight, clientHeight } = this.#scroller;
    const below = scrollHeight - scrollTop - clientHeight;
    if (scrollTop < EDGE_PX) this.slideUp();
    // At the very bottom, refresh() brings in the newest messages instead.
    else if (below < EDGE_PX && !isAtBottom(this.#scroller)) this.#slideDown();
    this.#hooks.updateJump();
  }

  /** Renders older messages from memory, or asks the server for them. */
  slideUp() {
    const room = this.#hooks.room();
    const { first, last } = this.#window;
    if (!room || !first) {
      if (room?.hasMore) this.#hooks.onNeedOlder(room);
      return;
    }
    const firstIndex = room.messages.indexOf(first);
    if (firstIndex > 0) {
      const lastIndex = room.messages.lastIndexOf(last);
      const from = Math.max(0, firstIndex - CHUNK);
      this.#slide(() =>
        this.#hooks.render(
          from,
          Math.min(lastIndex, from + this.#hooks.maxRendered - 1),
        )
      );
    } else if (room.hasMore && !room.loadingOlder) {
      this.#hooks.onNeedOlder(room);
      this.#hooks.renderChrome();
    }
  }

  /** Renders newer messages from memory after the user scrolled back down. */
  #slideDown() {
    const room = this.#hooks.room();
    const { first, last } = this.#window;
    if (!room || !last) return;
    const lastIndex = room.messages.lastIndexOf(last);
    if (lastIndex < 0 || lastIndex === room.messages.length - 1) return;
    const to = Math.min(room.messages.length - 1, lastIndex + CHUNK);
    const firstIndex = room.messages.indexOf(first);
    this.#slide(() =>
      this.#hooks.render(
        Math.max(firstIndex, to - this.#hooks.maxRendered + 1),
        to,
      )
    );
  }

  /** @param {() => void} render */
  #slide(render) {
    this.#sliding = true;
    try {
      render();
    } finally {
      // The scroll events caused by re-anchoring are not the user's.
      requestAnimationFrame(() => this.#sliding = false);
    }
  }
}
