// The slice of a room's messages that is in the DOM: which messages it
// spans and the element of each, rendered whole, extended at the bottom, or
// one message again in place; the own messages not yet stored always follow
// it. It also finds the message at the top of the view and puts it back at
// the same height after a re-render, so sliding the window does not move
// what the user reads.

import { MessageRenderer } from "./message_renderer.js";

/**
 * @typedef {import("./message_renderer.js").Message} Message
 * @typedef {import("./message_renderer.js").RendererHooks} RendererHooks
 * @typedef {{ message: Message, offset: number }} Anchor
 */

/** The rendered messages of the room in view. */
export class MessageWindow {
  #list;
  #pendingList;
  #renderer;
  /** @type {Message | null} */
  first = null;
  /** @type {Message | null} */
  last = null;
  /** @type {Map<Message, HTMLElement>} */
  #elements = new Map();

  /**
   * @param {{ list: HTMLElement, pendingList: HTMLElement }} parts
   * @param {RendererHooks} hooks
   */
  constructor(parts, hooks) {
    this.#list = parts.list;
    this.#pendingList = parts.pendingList;
    this.#renderer = new MessageRenderer(hooks);
  }

  /** How many messages are rendered. */
  get count() {
    return this.#elements.size;
  }

  /** The "new since you left" line goes after this id; Infinity for none. */
  get mark() {
    return this.#renderer.mark;
  }

  set mark(id) {
    this.#renderer.mark = id;
  }

  /** The "new since you left" line, when it is rendered. */
  get markLine() {
    return this.#list.querySelector(".new-since");
  }

  /**
   * Renders `messages[from..to]` in place of what was rendered.
   * @param {Message[]} messages
   * @param {number} from
   * @param {number} to inclusive
   */
  render(messages, from, to) {
    this.#elements.clear();
    const fragment = document.createDocumentFragment();
    let previous = null;
    for (let i = from; i <= to && i < messages.length; i++) {
      const message = messages[i];
      fragment.append(...this.#render(message, previous));
      previous = message;
    }
    this.#list.setAttribute("aria-busy", "true");
    this.#list.replaceChildren(fragment);
    this.#list.setAttribute("aria-busy", "false");
    this.first = to >= from ? messages[from] ?? null : null;
    this.last = to >= from ? previous : null;
  }

  /**
   * Renders `fresh` after the last rendered message.
   * @param {Message[]} fresh
   * @param {Message | undefined} previous the message before them
   */
  append(fresh, previous) {
    const fragment = document.createDocumentFragment();
    let before = previous ?? null;
    for (const message of fresh) {
      fragment.append(...this.#render(message, before));
      before = message;
    }
    this.#list.append(fragment);
    this.last = before;
  }

  /**
   * Renders a message again in place after an edit or a deletion.
   * @param {Message} message
   */
  updated(message) {
    const element = this.#elements.get(message);
    if (!element) return;
    const fresh = this.#renderer.render(message, null, {
      continued: element.classList.contains("continued"),
    }).at(-1);
    this.#elements.set(message, fresh);
    const focused = element.contains(document.activeElement);
    element.replaceWith(fresh);
    if (focused) fresh.querySelector(".message-actions")?.focus();
  }

  /**
   * Renders the own messages not yet stored, after the last rendered one.
   * @param {Iterable<[string, any]>} pending outbox entries by nonce
   */
  renderPending(pending) {
    const fragment = document.createDocumentFragment();
    let previous = this.last;
    for (const [nonce, entry] of pending) {
      const message = { ts: entry.ts, user: entry.user, text: entry.text };
      const [item] = this.#renderer.render(message, previous, {
        pending: { nonce, ...entry },
      }).slice(-1);
      item.classList.add(entry.error ? "failed" : "pending");
      item.dataset.nonce = nonce;
      fragment.append(item);
      previous = message;
    }
    this.#pendingList.replaceChildren(fragment);
  }

  /**
   * The first message at least partly in view and its offset from the top.
   * @param {HTMLElement} scroller
   * @returns {Anchor | null}
   */
  anchor(scroller) {
    const top = scroller.getBoundingClientRect().top;
    for (const [message, element] of this.#elements) {
      const box = element.getBoundingClientRect();
      if (box.bottom > top) return { message, offset: box.top - top };
    }
    return null;
  }

  /**
   * Scrolls so the anchor's message is as high as it was.
   * @param {HTMLElement} scroller
   * @param {Anchor} anchor
   */
  restore(scroller, anchor) {
    const element = this.#elements.get(anchor.message);
    if (!element) return;
    const top = scroller.getBoundingClientRect().top;
    scroller.scrollTop += element.getBoundingClientRect().top - top -
      anchor.offset;
  }

  /**
   * @param {Message} message
   * @param {Message | null} previous
   */
  #render(message, previous) {
    const nodes = this.#renderer.render(message, previous);
    this.#elements.set(message, nodes.at(-1));
    return nodes;
  }
}
