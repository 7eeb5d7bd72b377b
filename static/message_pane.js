// The conversation in view, made and wired to each other: the message list,
// each message's menu (with the dialog that confirms a deletion, a ban or a
// removal), and the message box with its @ autocomplete. What the user sends
// or edits goes to the room in view.

import { ActionDialog } from "./action_dialog.js";
import { Composer } from "./composer.js";
import { reason } from "./error_text.js";
import { limitOf } from "./limits.js";
import { MentionPicker } from "./mention_picker.js";
import { Menu } from "./menu.js";
import { lastEditable, messageActions } from "./message_actions.js";
import { MessageList } from "./message_list.js";
import { MessageMenu } from "./message_menu.js";

/**
 * @typedef {{ scroller: HTMLElement, messages: HTMLElement, pending: HTMLElement, jump: HTMLButtonElement, empty: HTMLElement, historyTop: HTMLElement, messageMenu: HTMLElement, actionDialog: HTMLDialogElement, composer: HTMLFormElement, text: HTMLTextAreaElement, counter: HTMLElement, editing: HTMLElement, editCancel: HTMLButtonElement, mentionList: HTMLElement }} MessagePaneParts
 * @typedef {{
 *   client: import("./client/mod.js").ChatClient,
 *   identity: import("./identity.js").Identity,
 *   rooms: import("./rooms.js").Rooms,
 *   notice: (text: string, detail?: string) => void,
 *   clearNotices: () => void,
 * }} MessagePaneHooks
 *   `notice`: tells the user something above the box; `clearNotices`:
 *   a message was sent, so what the notices said is done with
 */

/**
 * Makes the message pane.
 * @param {MessagePaneParts} parts
 * @param {MessagePaneHooks} hooks
 * @returns {{ messageList: MessageList, menu: Menu, messageMenu: MessageMenu, composer: Composer }}
 */
export function createMessagePane(parts, hooks) {
  const { client, identity, rooms, notice } = hooks;
  /** Who is looking, for what they may do to messages. */
  const viewer = () => identity.viewer(limitOf(client, "editWindow"));
  const isOwn = (message) => identity.isOwn(message);

  const messageList = new MessageList({
    scroller: parts.scroller,
    list: parts.messages,
    pendingList: parts.pending,
    jump: parts.jump,
    empty: parts.empty,
    top: parts.historyTop,
    isOwn,
    hasActions: (message) =>
      messageActions(message, viewer(), Date.now()).length > 0,
    // Where some are signed in, guests are worth telling apart.
    markGuests: () => identity.signedIn,
    markup: () => ({
      names: rooms.view?.room.members.map((member) => member.name) ?? [],
      me: identity.name,
    }),
    onNeedOlder: (room) => room.loadOlder(),
    onSeen(room, id) {
      if (!document.hidden) rooms.markRead(room, id);
    },
  });
  const menu = new Menu(parts.messageMenu);
  new MentionPicker(
    parts.text,
    parts.mentionList,
    () =>
      (rooms.view?.room.members ?? [])
        .filter((member) => member.id !== identity.id)
        .map((member) => member.name),
  );
  const messageMenu = new MessageMenu(
    menu,
    new ActionDialog(parts.actionDialog),
    {
      viewer,
      labelFor: (name) => rooms.labelFor(name),
      isOwn,
      startEditing: (message) => composer.startEditing(message),
      notice,
      reason,
    },
  );
  const composer = new Composer({
    form: parts.composer,
    text: parts.text,
    counter: parts.counter,
    editing: parts.editing,
    cancel: parts.editCancel,
  }, {
    maxBytes: () => limitOf(client, "maxMessageBytes"),
    send(text) {
      rooms.view.send(text);
      hooks.clearNotices();
      messageList.pendingChanged();
      messageList.jumpToLatest();
    },
    // Every member then gets the change.
    edit(message, text) {
      rooms.view?.room.edit(message.id, text)
        .catch((error) => notice(reason(error), error?.message));
    },
    typing: () => rooms.view?.room.typing(),
    lastEditable: () =>
      lastEditable(rooms.view?.messages ?? [], viewer(), Date.now()),
    tooLong: (max) =>
      notice(`This message is too long: at most ${max} bytes (UTF-8).`),
  });
  return { messageList, menu, messageMenu, composer };
}
