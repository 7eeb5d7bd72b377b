// Who the user is: the name shown (picked here, or the token's), the
// server's id and role for them, and whether a token signed them in or they
// are a guest; the card at the foot of the sidebar that shows it; and
// renaming, which waits for the connection when it is down.

import { isModerator } from "./message_actions.js";
import { savedName, saveName } from "./saved.js";
import { avatarFor } from "./sidebar.js";

/**
 * @typedef {{ meAvatar: HTMLElement, meName: HTMLElement, meStatus: HTMLElement, rename: HTMLElement }} IdentityParts
 * @typedef {{ setName: (name: string) => Promise<string>, named: (changed: boolean) => void, failed: (error: unknown) => void }} IdentityHooks
 *   `setName`: asks the server for a name, which answers with its spelling;
 *   `named`: the name shown was set, `changed` when it is another;
 *   `failed`: the server refused a new name
 */

/** The user, as the page knows them. */
export class Identity {
  /** The name shown; "" until the user or the server gives one. */
  name = savedName() ?? "";
  /** The server's id for the user, from `authenticated`. */
  id = "";
  /** The token's role: `member`, `moderator` or `admin`. */
  role = "member";
  /** Whether a token signed the user in (otherwise they are a guest). */
  signedIn = false;
  /** A name chosen while offline, set once the connection is back. */
  #wanted = "";
  #parts;
  #hooks;

  /**
   * @param {IdentityParts} parts
   * @param {IdentityHooks} hooks
   */
  constructor(parts, hooks) {
    this.#parts = parts;
    this.#hooks = hooks;
  }

  /**
   * Who is looking, for what they may do to messages.
   * @param {number} editWindow the server's edit window, in seconds
   * @returns {import("./message_actions.js").Viewer}
   */
  viewer(editWindow) {
    return { id: this.id, role: this.role, editWindow };
  }

  /**
   * Whether a message (or a pending one, which has no user id) is the user's.
   * @param {{ user: string, userId?: string }} message
   * @returns {boolean}
   */
  isOwn(message) {
    return message.userId
      ? message.userId === this.id
      : message.user === this.name;
  }

  /**
   * Takes in what the server says of the user after it authenticated them.
   * @param {{ id: string, role?: string, guest?: boolean } | undefined} identity
   */
  identify(identity) {
    this.id = identity?.id ?? "";
    this.role = identity?.role ?? "member";
    this.signedIn = identity !== undefined && !identity.guest;
    this.#parts.rename.hidden = this.signedIn;
    const role = isModerator(this.role) ? ` · ${this.role}` : "";
    this.#parts.meStatus.textContent = this.signedIn
      ? `Signed in${role}`
      : "Guest";
  }

  /**
   * Shows `name` as the user's.
   * @param {string} name
   * @param {{ remember?: boolean }} [options] `remember`: keep it for the
   *   next visit
   */
  show(name, { remember = true } = {}) {
    const changed = name !== this.name;
    this.name = name;
    if (remember) saveName(name);
    const parts = this.#parts;
    parts.meName.textContent = name;
    parts.meName.title = name;
    parts.meAvatar.replaceWith(parts.meAvatar = avatarFor(name));
    parts.meAvatar.id = "me-avatar";
    this.#hooks.named(changed);
  }

  /**
   * Asks the server for the name `name`; offline, once the connection is back.
   * @param {string} name
   */
  rename(name) {
    this.#wanted = name;
    this.#hooks.setName(name).then((normalized) => {
      this.#wanted = "";
      saveName(normalized);
    }, (error) => {
      if (error?.code === "disconnected") return;
      this.#wanted = "";
      this.#hooks.failed(error);
    });
  }

  /** Asks again for the name chosen while offline, now the connection is back. */
  reconnected() {
    if (this.#wanted) this.rename(this.#wanted);
  }
}
