// How each room tells the page what changed: a message that arrived (worth a
// desktop notification or not), the parts of the page to paint again, an
// edit or a deletion to show, and the end of the room when the server took
// the user out of it.

import { notificationBody, shouldNotify } from "./attention.js";
import { endedText, reason } from "./error_text.js";
import { directRoomUsers } from "./format.js";
import { limitOf } from "./limits.js";

/**
 * @typedef {{
 *   client: import("./client/mod.js").ChatClient,
 *   identity: import("./identity.js").Identity,
 *   rooms: import("./rooms.js").Rooms,
 *   notifier: import("./notifier.js").Notifier,
 *   messageList: import("./message_list.js").MessageList,
 *   composer: import("./composer.js").Composer,
 *   endedPanel: import("./ended_panel.js").EndedPanel,
 *   frames: import("./frame_batch.js").FrameBatch,
 *   notice: (text: string, detail?: string) => void,
 *   updateTitle: () => void,
 * }} RoomHooksPage
 *   the parts of the page a room's news goes to
 */

/**
 * The hooks each room of the page is made with.
 * @param {RoomHooksPage} page
 * @returns {import("./room_view.js").Hooks}
 */
export function roomHooks(page) {
  const { client, identity, rooms, messageList, frames } = page;
  const isOwn = (message) => identity.isOwn(message);
  return {
    me: () => identity.name || "You",
    myId: () => identity.id,
    typingInterval: () => limitOf(client, "typingInterval"),
    isOwn,
    isCurrent: (view) => view.name === rooms.current,
    isSeen: (view) => view.name === rooms.current && !document.hidden,
    largeRoom: () => limitOf(client, "largeRoom"),
    arrived(view, message, mention) {
      const facts = {
        enabled: page.notifier.enabled,
        hidden: document.hidden,
        muted: rooms.isMuted(view.name),
        own: isOwn(message),
        mention,
        direct: directRoomUsers(view.name) !== null,
      };
      if (!shouldNotify(facts)) return;
      page.notifier.notify(
        `${message.user} in ${rooms.labelFor(view.name)}`,
        notificationBody(message.text),
        view.name,
        () => rooms.navigate(view.name),
      );
    },
    changed(...parts) {
      const view = rooms.view;
      if (parts.includes("show") && view) messageList.show(view);
      if (parts.includes("older") && view) {
        messageList.refresh();
        messageList.olderLoaded();
      }
      frames.schedule(...parts.filter((part) => frames.knows(part)));
      if (parts.includes("rooms")) page.updateTitle();
    },
    amended(view, message) {
      if (view === rooms.view) messageList.updated(message);
      if (page.composer.editing === message && message.deleted) {
        page.composer.cancelEditing();
      }
    },
    ended(view) {
      // The room in view says it in place of the message box; others in a notice.
      if (rooms.current === view.name) page.endedPanel.render(rooms.view);
      else page.notice(endedText(view.ended, rooms.labelFor(view.name)));
      frames.schedule("rooms");
    },
    notice: page.notice,
    reason,
  };
}
