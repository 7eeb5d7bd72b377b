// A message's actions, from its menu: edit (in the message box), delete,
// and for moderators ban or remove its author; what cannot be undone is
// confirmed in a dialog first, and the outcome is told in a notice.

import { messageActions } from "./message_actions.js";

/**
 * @typedef {import("./room_view.js").RoomView} RoomView
 * @typedef {import("./message_list.js").Message} Message
 * @typedef {import("./message_actions.js").Action} Action
 * @typedef {{
 *   viewer: () => import("./message_actions.js").Viewer,
 *   labelFor: (name: string) => string,
 *   isOwn: (message: Message) => boolean,
 *   startEditing: (message: Message) => void,
 *   notice: (text: string, detail?: string) => void,
 *   reason: (error: unknown) => string,
 * }} MessageMenuHooks
 */

export class MessageMenu {
  #menu;
  #dialog;
  #hooks;

  /**
   * @param {import("./menu.js").Menu} menu
   * @param {import("./action_dialog.js").ActionDialog} dialog
   * @param {MessageMenuHooks} hooks
   */
  constructor(menu, dialog, hooks) {
    this.#menu = menu;
    this.#dialog = dialog;
    this.#hooks = hooks;
  }

  /**
   * Opens the menu of `message` under `button`, with what the viewer may do now.
   * @param {HTMLElement} button
   * @param {RoomView} view
   * @param {Message} message
   */
  open(button, view, message) {
    const labels = {
      edit: "Edit",
      delete: "Delete",
      ban: `Ban ${message.user}…`,
      kick: `Remove ${message.user} from the room…`,
    };
    const actions = messageActions(message, this.#hooks.viewer(), Date.now());
    if (actions.length === 0) {
      this.#hooks.notice("The time to change this message has passed.");
      return;
    }
    this.#menu.show(
      button,
      `Actions for ${message.user}’s message`,
      actions.map((action) => ({
        label: labels[action],
        danger: action !== "edit",
        run: () => void this.#run(action, view, message),
      })),
    );
  }

  /**
   * @param {Action} action
   * @param {RoomView} view
   * @param {Message} message
   */
  async #run(action, view, message) {
    if (action === "edit") return this.#hooks.startEditing(message);
    const answer = await this.#dialog.ask(
      this.#question(action, view, message),
    );
    if (!answer) return;
    const { room } = view;
    const label = this.#hooks.labelFor(view.name);
    const done = {
      delete: () => room.delete(message.id).then(() => ""),
      ban: () =>
        room.ban(message.userId, answer).then(() =>
          `${message.user} is banned from ${label}.`
        ),
      kick: () =>
        room.kick(message.userId, answer).then(() =>
          `${message.user} was removed from ${label}.`
        ),
    }[action]();
    done.then(
      (text) => this.#hooks.notice(text),
      (error) => this.#hooks.notice(this.#hooks.reason(error), error?.message),
    );
  }

  /**
   * @param {Exclude<Action, "edit">} action
   * @param {RoomView} view
   * @param {Message} message
   * @returns {import("./action_dialog.js").Question}
   */
  #question(action, view, message) {
    const label = this.#hooks.labelFor(view.name);
    const who = message.user;
    switch (action) {
      case "delete":
        return {
          title: "Delete this message?",
          text: this.#hooks.isOwn(message)
            ? "Everyone in the room will see that a message was deleted."
            : `Everyone in ${label} will see that ${who}’s message was deleted by a moderator.`,
          confirm: "Delete",
        };
      case "ban":
        return {
          title: `Ban ${who} from ${label}?`,
          text:
            `${who} leaves the room now and cannot join again until the ban ends.`,
          confirm: "Ban",
          duration: true,
          reason: true,
        };
      case "kick":
        return {
          title: `Remove ${who} from ${label}?`,
          text: `${who} leaves the room now and may join it again.`,
          confirm: "Remove",
          reason: true,
        };
    }
  }
}
