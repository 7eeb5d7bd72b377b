// One room as the page shows it, kept from the events of the client library's
// Room: its messages in id order (at most MAX_MESSAGES in memory, older ones
// paged in again on demand) with their edits and deletions applied, who is
// typing, its unread count, the own messages not yet stored (the library's
// outbox, plus any the server refused for good), and why it ended when the
// server took the user out.

import { mentions } from "./markup.js";
import { PendingMessages } from "./pending_messages.js";
import { PresenceLines } from "./presence_lines.js";
import { TypingUsers } from "./typing.js";

/** Messages kept in memory per room; older ones are paged in again on demand. */
const MAX_MESSAGES = 20_000;
/** Older messages asked for per `history` request. */
const HISTORY_PAGE = 50;
/** A `typing` event lasts this many of the server's typing intervals. */
const TYPING_INTERVALS = 2.5;

/**
 * @typedef {import("./client/mod.js").Room} Room
 * @typedef {import("./client/mod.js").ChatMessage} Message
 * @typedef {import("./pending_messages.js").Pending} Pending
 * @typedef {{ me: () => string, myId: () => string, isOwn: (message: Message) => boolean, isCurrent: (view: RoomView) => boolean, isSeen: (view: RoomView) => boolean, largeRoom: () => number, arrived: (view: RoomView, message: Message, mention: boolean) => void, changed: (...parts: string[]) => void, amended: (view: RoomView, message: Message) => void, ended: (view: RoomView) => void, notice: (text: string, detail?: string) => void, reason: (error: unknown) => string, typingInterval: () => number }} Hooks
 */

export class RoomView {
  /** @type {Message[]} */
  messages = [];
  /** @type {Set<number>} */
  ids = new Set();
  hasMore = false;
  loadingOlder = false;
  unread = 0;
  /** Unread messages that mention the user. */
  mentions = 0;
  /** The newest message id the user has read here (kept across visits). */
  readId = 0;
  /** `readId` when the room was last opened: the "new since you left" line. */
  readMark = 0;
  /** @type {Map<string, Pending>} what MessageList shows below the messages */
  pending = new Map();
  /** @type {TypingUsers} */
  typing;
  /**
   * Why the server took the user out of the room (`banned`, `kicked`,
   * `forbidden`), once it has; the room then delivers nothing more.
   * @type {string | null}
   */
  ended = null;
  /** Messages that arrive with a fresh join are history, not news. */
  #joining = false;
  #hooks;
  #unsent;
  #presence;

  /**
   * @param {Room} room
   * @param {Hooks} hooks
   */
  constructor(room, hooks) {
    this.room = room;
    this.name = room.name;
    this.#hooks = hooks;
    this.#unsent = new PendingMessages(this, hooks);
    this.#presence = new PresenceLines(this, hooks);
    room.on("joined", (event) => this.#onJoined(event));
    this.typing = new TypingUsers(hooks.typingInterval() * TYPING_INTERVALS);
    room.on("message", (message) => {
      if (this.typing.stopped(message.userId)) hooks.changed("typing");
      this.#add(message, !this.#joining);
    });
    room.on("edit", (edit) =>
      this.#amend(edit.target, (message) => {
        message.text = edit.text;
        message.edited = edit.ts;
      }));
    room.on("delete", (removal) =>
      this.#amend(removal.target, (message) => {
        message.text = "";
        message.deleted = true;
      }));
    room.on("typing", ({ user }) => {
      if (user.id === hooks.myId()) return;
      this.typing.typed(user, Date.now());
      hooks.changed("typing");
    });
    room.on("left", ({ reason }) => {
      if (reason === undefined) return;
      this.ended = reason;
      this.typing.clear();
      hooks.ended(this);
    });
    room.on("reset", () => {
      this.#clear();
      hooks.notice(
        `The server lost the history of #${this.name}; it starts again.`,
      );
    });
    room.on("presence", ({ joined, left }) => {
      const stopped = left.filter((member) => this.typing.stopped(member.id));
      if (stopped.length > 0) hooks.changed("typing");
      this.#presence.announce(joined, left);
      if (hooks.isCurrent(this)) hooks.changed("members");
    });
    room.on("pending", () => this.#unsent.sync());
    this.#unsent.sync();
  }

  /** Whether the room is joined on the open connection. */
  get joined() {
    return this.room.status === "joined";
  }

  /** @param {string} text */
  send(text) {
    this.#unsent.send(text);
  }

  /** Sends a refused message again, or drops it. @param {string} key */
  retry(key) {
    this.#unsent.retry(key);
  }

  /** @param {string} key */
  discard(key) {
    this.#unsent.discard(key);
  }

  /** Asks for the page of messages before the oldest one in memory. */
  loadOlder() {
    if (this.loadingOlder || !this.hasMore) return;
    this.loadingOlder = true;
    const before = this.messages.find((message) => !message.system)?.id;
    this.room.history({ before, limit: HISTORY_PAGE }).then((page) => {
      this.hasMore = page.hasMore;
      for (const message of page.messages) this.#add(message, false);
    }, () => {}).finally(() => {
      this.loadingOlder = false;
      this.#hooks.changed("older");
    });
  }

  /** @param {import("./client/mod.js").JoinedEvent} event */
  #onJoined(event) {
    if (!event.resumed) {
      this.#clear();
      this.hasMore = this.room.hasMore;
      if (event.truncated) {
        this.#hooks.notice(
          `Some messages in #${this.name} were removed before you reconnected.`,
        );
      }
    }
    this.#presence.reset();
    // The messages that follow the join in the same turn are its history.
    this.#joining = !event.resumed;
    queueMicrotask(() => this.#joining = false);
    this.#hooks.changed("list", "rooms", "members");
  }

  /**
   * Applies an edit or a deletion to the message it targets, if it is in
   * memory (an older one comes back from history in its current state).
   * @param {number} target
   * @param {(message: Message) => void} change
   */
  #amend(target, change) {
    if (!this.ids.has(target)) return;
    const message = this.#find(target);
    if (!message) return;
    change(message);
    this.#hooks.amended(this, message);
  }

  /** @param {number} id */
  #find(id) {
    const messages = this.messages;
    let low = 0;
    let high = messages.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const found = messages[middle];
      if (found.id === id) return found;
      if (found.id < id) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  /** Forgets the room's messages: what the server sends next replaces them. */
  #clear() {
    this.messages = [];
    this.ids.clear();
    this.hasMore = false;
    this.loadingOlder = false;
    this.#hooks.changed("show");
  }

  /**
   * Stores a message once (by id) in id order.
   * @param {Message} message
   * @param {boolean} live counts towards unread when the room is not in view,
   *   and may notify
   */
  #add(message, live) {
    if (this.ids.has(message.id)) return;
    this.ids.add(message.id);
    const messages = this.messages;
    if (messages.length === 0 || messages.at(-1).id < message.id) {
      messages.push(message);
    } else {
      let i = messages.length - 1;
      while (i > 0 && messages[i - 1].id > message.id) i--;
      messages.splice(i, 0, message);
    }
    if (messages.length > MAX_MESSAGES) {
      for (
        const dropped of messages.splice(0, messages.length - MAX_MESSAGES)
      ) {
        this.ids.delete(dropped.id);
      }
      this.hasMore = true;
    }
    if (this.#hooks.isCurrent(this)) this.#hooks.changed("list");
    if (!live || this.#hooks.isOwn(message)) return;
    const mention = mentions(message.text, this.#hooks.me());
    if (!this.#hooks.isSeen(this)) {
      this.unread++;
      if (mention) this.mentions++;
      this.#hooks.changed("rooms");
    }
    this.#hooks.arrived(this, message, mention);
  }
}
