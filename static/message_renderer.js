// The nodes for one message of the list: a day separator when the day
// changed, the "new since you left" line before the first unread message,
// then the message itself (avatar, author, time, body, actions button), or
// a one-line system message. An own message not yet stored gets its
// delivery status and the buttons to retry or discard it. All user text
// goes in with textContent.

import { dayLabel, fullTime, relativeTime, sameDay } from "./format.js";
import { renderMarkup } from "./render_markup.js";
import { avatarFor } from "./sidebar.js";

/** Messages from one sender closer together than this form one group. */
const GROUP_WINDOW_MS = 5 * 60_000;
/** What a deleted message's placeholder says. */
const DELETED_TEXT = "This message was deleted.";

/**
 * @typedef {{ id: number, ts: number, user: string, userId?: string, guest?: true, text: string, edited?: number, deleted?: true, system?: string }} Message
 *   `system`: a line about the room ("joined", "left") rather than a message
 * @typedef {{ name: string, messages: Message[], pending: Map<string, any>, hasMore: boolean, loadingOlder: boolean, joined: boolean, readId: number, readMark: number }} Room
 * @typedef {{ isOwn: (message: { user: string, userId?: string }) => boolean, hasActions: (message: Message) => boolean, markup: () => import("./markup.js").MarkupOptions, markGuests: () => boolean }} RendererHooks
 * @typedef {{ pending?: any, continued?: boolean }} RenderOptions
 *   `pending`: the outbox entry of an own message not yet stored;
 *   `continued`: whether it follows its sender's previous message, when
 *   rendered again in place (no separators then)
 */

/** Builds the DOM nodes of messages. */
export class MessageRenderer {
  /**
   * The "new since you left" line goes after this id; Infinity for none.
   * @type {number}
   */
  mark = Infinity;
  #hooks;

  /** @param {RendererHooks} hooks */
  constructor(hooks) {
    this.#hooks = hooks;
  }

  /**
   * The nodes for one message, the message's own element last.
   * @param {Message} message
   * @param {Message | null} previous the message rendered before it
   * @param {RenderOptions} [options]
   * @returns {HTMLElement[]}
   */
  render(message, previous, options = {}) {
    const nodes = [];
    const newDay = options.continued === undefined &&
      (!previous || !sameDay(previous.ts, message.ts));
    if (newDay && !options.pending) {
      nodes.push(separator("day", dayLabel(message.ts)));
    }
    if (
      options.continued === undefined && !options.pending &&
      message.id > this.mark && (previous?.id ?? 0) <= this.mark
    ) {
      nodes.push(separator("new-since", "New since you left"));
    }
    if (message.system) {
      const line = document.createElement("li");
      line.className = "system-line";
      line.textContent = `${message.user} ${message.system}`;
      nodes.push(line);
      return nodes;
    }
    const own = this.#hooks.isOwn(message);
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

    const bubble = document.createElement("div");
    bubble.className = "bubble";
    const body = this.#body(message);
    if (!own && body.querySelector(".mention-me")) {
      item.classList.add("mentions-me");
    }
    bubble.append(this.#meta(message), body);
    if (options.pending) bubble.append(pendingStatus(options.pending));
    item.append(avatarFor(message.user), bubble);
    if (!options.pending && this.#hooks.hasActions(message)) {
      item.append(actionsButton(message));
    }
    nodes.push(item);
    return nodes;
  }

  /**
   * The line above the text: who, when, and whether it was edited.
   * @param {Message} message
   */
  #meta(message) {
    const meta = document.createElement("p");
    meta.className = "meta";
    const author = document.createElement("span");
    author.className = "author";
    author.textContent = message.user;
    if (message.guest && this.#hooks.markGuests()) {
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
    return meta;
  }

  /** @param {Message} message */
  #body(message) {
    const body = document.createElement("div");
    body.className = "body";
    if (message.deleted) body.textContent = DELETED_TEXT;
    else body.append(...renderMarkup(message.text, this.#hooks.markup()));
    return body;
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
  const retry = pendingAction("retry", "Retry", entry.nonce);
  const discard = pendingAction("discard", "Discard", entry.nonce);
  status.append(reason, " ", retry, " ", discard);
  return status;
}

/**
 * A button that acts on an own message not yet stored (the page handles its clicks).
 * @param {"retry" | "discard"} action
 * @param {string} label
 * @param {string} nonce the message's outbox key
 */
function pendingAction(action, label, nonce) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link";
  button.dataset.action = action;
  button.dataset.nonce = nonce;
  button.textContent = label;
  return button;
}
