// The message list of the room in view. Only a window of the room's messages
// is in the DOM (at most MAX_RENDERED), so a room with 10,000 messages stays
// smooth: scrolling near an edge slides the window, and the scroll position
// is kept by re-anchoring on the message that was at the top of the view.
// All user text goes in with textContent.

import {
  dayLabel,
  fullTime,
  hueFor,
  initials,
  relativeTime,
  sameDay,
} from "./format.js";
import { renderMarkup } from "./render_markup.js";

/** Messages rendered when a room is shown or the view jumps to the latest. */
const WINDOW_SIZE = 150;
/** Most messages kept in the DOM at once. */
export const MAX_RENDERED = 300;
/** Messages added or dropped when the window slides. */
const CHUNK = 100;
/** Distance from an edge, in pixels, at which the window slides. */
const EDGE_PX = 400;
/** Closer to the bottom than this counts as "at the bottom". */
const BOTTOM_PX = 48;
/** Messages from one sender closer together than this form one group. */
const GROUP_WINDOW_MS = 5 * 60_000;

/**
 * @typedef {{ id: number, ts: number, user: string, userId?: string, guest?: true, text: string, edited?: number, deleted?: true, system?: string }} Message
 *   `system`: a line about the room ("joined", "left") rather than a message
 * @typedef {{ name: string, messages: Message[], pending: Map<string, any>, hasMore: boolean, loadingOlder: boolean, joined: boolean, readId: number, readMark: number }} Room
 */

export class MessageList {
  #scroller;
  #list;
  #pendingList;
  #jump;
  #empty;
  #top;
  #isOwn;
  #hasActions;
  #markup;
  #markGuests;
  #onNeedOlder;
  #onSeen;
  /**
   * The "new since you left" line goes after this id; Infinity for none.
   * Decided when the room is shown and its messages first render.
   */
  #mark = Infinity;
  /** Whether the view should open at the mark once messages render. */
  #openAtMark = false;
  /** @type {Room | null} */
  #room = null;
  /** @type {Message | null} */
  #first = null;
  /** @type {Message | null} */
  #last = null;
  #count = 0;
  /**
   * The newest message id the user has seen at the bottom: messages from
   * others after it are "new" while the user is scrolled up.
   */
  #seenId = 0;
  /** @type {Map<Message, HTMLElement>} */
  #elements = new Map();
  #sliding = false;

  /**
   * @param {{ scroller: HTMLElement, list: HTMLElement, pendingList: HTMLElement, jump: HTMLButtonElement, empty: HTMLElement, top: HTMLElement, isOwn: (message: { user: string, userId?: string }) => boolean, hasActions: (message: Message) => boolean, markup: () => import("./markup.js").MarkupOptions, markGuests: () => boolean, onNeedOlder: (room: Room) => void, onSeen: (room: Room, id: number) => void }} parts
   */
  constructor(parts) {
    this.#scroller = parts.scroller;
    this.#list = parts.list;
    this.#pendingList = parts.pendingList;
    this.#jump = parts.jump;
    this.#empty = parts.empty;
    this.#top = parts.top;
    this.#isOwn = parts.isOwn;
    this.#hasActions = parts.hasActions;
    this.#markup = parts.markup;
    this.#markGuests = parts.markGuests;
    this.#onSeen = parts.onSeen;
    this.#onNeedOlder = parts.onNeedOlder;
    this.#scroller.addEventListener("scroll", () => this.#onScroll(), {
      passive: true,
    });
    this.#jump.addEventListener("click", () => this.jumpToLatest());
  }

  /** Whether the view is scrolled to the newest message. */
  get atBottom() {
    const { scrollHeight, scrollTop, clientHeight } = this.#scroller;
    return scrollHeight - scrollTop - clientHeight < BOTTOM_PX;
  }

  /**
   * Shows `room` from its newest messages.
   * @param {Room} room
   */
  show(room) {
    this.#room = room;
    this.#seenId = room.messages.at(-1)?.id ?? 0;
    this.#mark = room.readMark > 0 ? room.readMark : Infinity;
    this.#openAtMark = this.#mark !== Infinity;
    this.#renderTail();
  }

  /** Brings the newest message into view. */
  jumpToLatest() {
    if (!this.#room) return;
    this.#seenId = this.#room.messages.at(-1)?.id ?? 0;
    this.#renderTail();
  }

  /** Brings the DOM up to date with the room's messages; cheap when nothing changed. */
  refresh() {
    const room = this.#room;
    if (!room) return;
    const messages = room.messages;
    const stick = this.atBottom;
    if (!this.#first || !this.#last) {
      if (messages.length > 0) this.#renderTail();
      this.#renderChrome();
      return;
    }
    const firstIndex = messages.indexOf(this.#first);
    const lastIndex = messages.lastIndexOf(this.#last);
    if (
      firstIndex < 0 || lastIndex < 0 ||
      lastIndex - firstIndex + 1 !== this.#count
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
      if (stick || this.#count + added <= MAX_RENDERED) {
        const fresh = messages.slice(lastIndex + 1);
        this.#append(fresh, messages[lastIndex]);
      }
      if (stick && this.#count > MAX_RENDERED) {
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
    const element = this.#elements.get(message);
    if (!element) return;
    const fresh = this.#render(message, null, {
      continued: element.classList.contains("continued"),
    }).at(-1);
    const focused = element.contains(document.activeElement);
    element.replaceWith(fresh);
    if (focused) fresh.querySelector(".message-actions")?.focus();
  }

  /**
   * The rendered element of the message `id`, if it is in the window.
   * @param {number} id
   * @returns {HTMLElement | undefined}
   */
  elementOf(id) {
    for (const [message, element] of this.#elements) {
      if (message.id === id) return element;
    }
    return undefined;
  }

  /** Called when older messages arrived from the server: slide the window up. */
  olderLoaded() {
    this.#slideUp();
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
      const first = messages.findIndex((message) => message.id > this.#mark);
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
    const anchor = scroll === "keep" ? this.#anchor() : null;
    const messages = this.#room.messages;
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
    this.#first = to >= from ? messages[from] ?? null : null;
    this.#last = to >= from ? previous : null;
    this.#count = this.#elements.size;
    this.#renderPending();
    this.#renderChrome();
    if (anchor) this.#restore(anchor);
    else if (!this.#scrollToMark()) this.#scrollToBottom();
  }

  /**
   * Once, when the room's messages first render: puts the "new since you
   * left" line at the top of the view, when what follows it fills the view.
   * @returns {boolean} whether it did
   */
  #scrollToMark() {
    if (!this.#openAtMark || !this.#first) return false;
    this.#openAtMark = false;
    const line = this.#list.querySelector(".new-since");
    if (!line) {
      this.#mark = Infinity;
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

  /**
   * @param {Message[]} fresh
   * @param {Message | undefined} previous
   */
  #append(fresh, previous) {
    const fragment = document.createDocumentFragment();
    let before = previous ?? null;
    for (const message of fresh) {
      fragment.append(...this.#render(message, before));
      before = message;
    }
    this.#list.append(fragment);
    this.#last = before;
    this.#count = this.#elements.size;
  }

  /**
   * The nodes for one message: a day separator when the day changed, then the message.
   * @param {Message} message
   * @param {Message | null} previous
   * @param {{ pending?: any, continued?: boolean }} options
   * @returns {HTMLElement[]}
   */
  #render(message, previous, options = {}) {
    const nodes = [];
    const newDay = options.continued === undefined &&
      (!previous || !sameDay(previous.ts, message.ts));
    if (newDay && !options.pending) {
      nodes.push(separator("day", dayLabel(message.ts)));
    }
    if (
      options.continued === undefined && !options.pending &&
      message.id > this.#mark && (previous?.id ?? 0) <= this.#mark
    ) {
      nodes.push(separator("new-since", "New since you left"));
    }
    if (message.system) {
      const line = document.createElement("li");
      line.className = "system-line";
      line.textContent = `${message.user} ${message.system}`;
      nodes.push(line);
      this.#elements.set(message, line);
      return nodes;
    }
    const own = this.#isOwn(message);
    const item = document.createElement("li");
    item.className = "message";
    if (own) item.classList.add("own");
    if (
      options.continued ?? (!newDay && previous && !previous.system &&
        previous.user === message.user &&
        message.ts - previous.ts < GROUP_WINDOW_MS)
    ) {
      item.classList.add("continued");
    }
    if (message.deleted) item.classList.add("deleted");
    if (message.id !== undefined) item.dataset.id = String(message.id);

    const avatar = document.createElement("span");
    avatar.className = "avatar";
    avatar.setAttribute("aria-hidden", "true");
    avatar.style.setProperty("--hue", String(hueFor(message.user)));
    avatar.textContent = initials(message.user);

    const bubble = document.createElement("div");
    bubble.className = "bubble";
    const meta = document.createElement("p");
    meta.className = "meta";
    const author = document.createElement("span");
    author.className = "author";
    author.textContent = message.user;
    if (message.guest && this.#markGuests()) {
      const guest = document.createElement("span");
      guest.className = "guest";
      guest.textContent = " guest";
      author.append(guest);
    }
    const time = document.createElement("time");
    time.className = "time";
    time.dateTime = new Date(message.ts).toISOString();
    time.dataset.ts = String(message.ts);
    time.title = fullTime(message.ts);
    time.textContent = relativeTime(message.ts);
    meta.append(author, " ", time);
    if (message.edited && !message.deleted) {
      meta.append(" ", editedMark(message));
    }
    const body = document.createElement("div");
    body.className = "body";
    if (message.deleted) body.textContent = DELETED_TEXT;
    else body.append(...renderMarkup(message.text, this.#markup()));
    if (!own && body.querySelector(".mention-me")) {
      item.classList.add("mentions-me");
    }
    bubble.append(meta, body);
    if (options.pending) bubble.append(pendingStatus(options.pending));
    item.append(avatar, bubble);
    if (!options.pending && this.#hasActions(message)) {
      item.append(actionsButton(message));
    }
    nodes.push(item);
    if (!options.pending) this.#elements.set(message, item);
    return nodes;
  }

  #renderPending() {
    const room = this.#room;
    const fragment = document.createDocumentFragment();
    let previous = this.#last;
    for (const [nonce, entry] of room?.pending ?? []) {
      const message = { ts: entry.ts, user: entry.user, text: entry.text };
      const [item] = this.#render(message, previous, {
        pending: { nonce, ...entry },
      }).slice(-1);
      item.classList.add(entry.error ? "failed" : "pending");
      item.dataset.nonce = nonce;
      fragment.append(item);
      previous = message;
    }
    this.#pendingList.replaceChildren(fragment);
  }

  #renderChrome() {
    const room = this.#room;
    if (!room) return;
    const nothing = room.messages.length === 0 && room.pending.size === 0;
    this.#empty.hidden = !nothing || !room.joined;
    const atStart = !this.#first || this.#first === room.messages[0];
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
    const behind = room && this.#last !== room.messages.at(-1);
    if (room && !behind && this.atBottom) {
      const newest = room.messages.at(-1)?.id ?? this.#seenId;
      if (newest > this.#seenId || room.readId < Math.floor(newest)) {
        this.#onSeen(room, Math.floor(newest));
      }
      this.#seenId = newest;
    }
    const fresh = this.#unseen();
    const show = !this.atBottom && (behind || fresh > 0 ||
      this.#scroller.scrollHeight - this.#scroller.scrollTop >
        this.#scroller.clientHeight * 2);
    this.#jump.hidden = !show;
    this.#jump.textContent = fresh > 0
      ? `${fresh} new message${fresh === 1 ? "" : "s"} ↓`
      : "Jump to latest ↓";
  }

  /** Messages from others since the user was last at the bottom. */
  #unseen() {
    const messages = this.#room?.messages ?? [];
    let count = 0;
    for (let i = messages.length - 1; i >= 0; i--) {
      const message = messages[i];
      if (message.id <= this.#seenId) break;
      if (!message.system && !this.#isOwn(message)) count++;
    }
    return count;
  }

  #scrollToBottom() {
    this.#scroller.scrollTop = this.#scroller.scrollHeight;
    this.#updateJump();
  }

  #onScroll() {
    if (!this.#room || this.#sliding) return;
    const { scrollTop, scrollHeight, clientHeight } = this.#scroller;
    const below = scrollHeight - scrollTop - clientHeight;
    if (scrollTop < EDGE_PX) this.#slideUp();
    // At the very bottom, refresh() brings in the newest messages instead.
    else if (below < EDGE_PX && below >= BOTTOM_PX) this.#slideDown();
    this.#updateJump();
  }

  /** Renders older messages from memory, or asks the server for them. */
  #slideUp() {
    const room = this.#room;
    if (!room || !this.#first) {
      if (room?.hasMore) this.#onNeedOlder(room);
      return;
    }
    const firstIndex = room.messages.indexOf(this.#first);
    if (firstIndex > 0) {
      const lastIndex = room.messages.lastIndexOf(this.#last);
      const from = Math.max(0, firstIndex - CHUNK);
      this.#slide(() =>
        this.#renderRange(
          from,
          Math.min(lastIndex, from + MAX_RENDERED - 1),
          "keep",
        )
      );
    } else if (room.hasMore && !room.loadingOlder) {
      this.#onNeedOlder(room);
      this.#renderChrome();
    }
  }

  /** Renders newer messages from memory after the user scrolled back down. */
  #slideDown() {
    const room = this.#room;
    if (!room || !this.#last) return;
    const lastIndex = room.messages.lastIndexOf(this.#last);
    if (lastIndex < 0 || lastIndex === room.messages.length - 1) return;
    const to = Math.min(room.messages.length - 1, lastIndex + CHUNK);
    const firstIndex = room.messages.indexOf(this.#first);
    this.#slide(() =>
      this.#renderRange(
        Math.max(firstIndex, to - MAX_RENDERED + 1),
        to,
        "keep",
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

  /** The first message at least partly in view and its offset from the top. */
  #anchor() {
    const top = this.#scroller.getBoundingClientRect().top;
    for (const [message, element] of this.#elements) {
      const box = element.getBoundingClientRect();
      if (box.bottom > top) return { message, offset: box.top - top };
    }
    return null;
  }

  /** @param {{ message: Message, offset: number }} anchor */
  #restore(anchor) {
    const element = this.#elements.get(anchor.message);
    if (!element) return;
    const top = this.#scroller.getBoundingClientRect().top;
    this.#scroller.scrollTop += element.getBoundingClientRect().top - top -
      anchor.offset;
  }
}

/**
 * A line across the list with a word in the middle.
 * @param {string} className
 * @param {string} text
 */
function separator(className, text) {
  const line = document.createElement("li");
  line.className = className;
  const label = document.createElement("span");
  label.textContent = text;
  line.append(label);
  return line;
}

/** What a deleted message's placeholder says. */
export const DELETED_TEXT = "This message was deleted.";

/** @param {Message & { edited?: number }} message */
function editedMark(message) {
  const mark = document.createElement("span");
  mark.className = "edited";
  mark.textContent = "(edited)";
  mark.title = `Edited ${fullTime(message.edited)}`;
  return mark;
}

/**
 * The button that opens a message's actions (its menu is the page's).
 * @param {Message} message
 */
function actionsButton(message) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "ghost message-actions";
  button.dataset.menu = String(message.id);
  button.setAttribute("aria-haspopup", "menu");
  button.setAttribute("aria-expanded", "false");
  button.setAttribute(
    "aria-label",
    `Actions for ${message.user}’s message, ${relativeTime(message.ts)}`,
  );
  button.textContent = "⋯";
  return button;
}

/** @param {{ nonce: string, error?: string, sent?: boolean }} entry */
function pendingStatus(entry) {
  const status = document.createElement("p");
  status.className = "delivery";
  if (!entry.error) {
    status.textContent = entry.sent ? "Sending…" : "Waiting for connection…";
    return status;
  }
  const reason = document.createElement("span");
  reason.textContent = `Not sent: ${entry.error}`;
  const retry = document.createElement("button");
  retry.type = "button";
  retry.className = "link";
  retry.dataset.action = "retry";
  retry.dataset.nonce = entry.nonce;
  retry.textContent = "Retry";
  const discard = document.createElement("button");
  discard.type = "button";
  discard.className = "link";
  discard.dataset.action = "discard";
  discard.dataset.nonce = entry.nonce;
  discard.textContent = "Discard";
  status.append(reason, " ", retry, " ", discard);
  return status;
}
