// The own messages of a room not yet stored, as the message list shows them
// after the others: the client library's outbox, plus those the server
// refused for good, kept until the user sends them again or drops them.

/**
 * @typedef {import("./room_view.js").RoomView} RoomView
 * @typedef {import("./room_view.js").Hooks} Hooks
 * @typedef {{ text: string, ts: number, user: string, sent: boolean, error?: string }} Pending
 */

/** Sends a room's own messages and keeps its `pending` ones. */
export class PendingMessages {
  /** @type {Map<string, Pending>} messages the server refused for good */
  #failed = new Map();
  #view;
  #hooks;

  /**
   * @param {RoomView} view the room whose `pending` it keeps
   * @param {Hooks} hooks
   */
  constructor(view, hooks) {
    this.#view = view;
    this.#hooks = hooks;
  }

  /** @param {string} text */
  send(text) {
    this.#view.room.send(text).catch((error) => {
      if (error?.code === "closed") return;
      const reason = this.#hooks.reason(error);
      this.#failed.set(crypto.randomUUID(), {
        text,
        ts: Date.now(),
        user: this.#hooks.me(),
        sent: false,
        error: reason.replace(/\.$/, ""),
      });
      this.sync();
      this.#hooks.notice(reason, error?.message);
    });
  }

  /** Sends a refused message again, or drops it. @param {string} key */
  retry(key) {
    const entry = this.#failed.get(key);
    if (!entry) return;
    this.#failed.delete(key);
    this.send(entry.text);
    this.sync();
  }

  /** @param {string} key */
  discard(key) {
    this.#failed.delete(key);
    this.sync();
  }

  /** Sets the room's `pending`: the library's outbox, then the refused ones. */
  sync() {
    const me = this.#hooks.me();
    this.#view.pending = new Map([
      ...this.#view.room.pending.map((entry) => [entry.nonce, {
        text: entry.text,
        ts: entry.createdAt,
        user: me,
        sent: entry.status === "sending",
      }]),
      ...this.#failed,
    ]);
    if (this.#hooks.isCurrent(this.#view)) this.#hooks.changed("pending");
  }
}
