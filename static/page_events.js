// The page's own controls and the browser's events: the join box, the
// shortcuts, the header's and the sidebar's buttons, the notice's close,
// a tab that comes back into view, the URL's room, the network going and
// coming, and the message times kept current.

import { listenToJoinForm } from "./join_form.js";
import { listenToNotifyToggle } from "./notify_toggle.js";
import { listenForShortcuts } from "./shortcuts.js";

/** How often the messages' times ("2 min ago") are brought up to date. */
const TIMES_INTERVAL = 30_000;

/**
 * @typedef {{ browse: HTMLElement, mute: HTMLElement, notify: HTMLElement, leave: HTMLElement, jump: HTMLElement, noticeClose: HTMLElement, rename: HTMLElement, headerMembers: HTMLElement, menu: HTMLElement, membersTitle: HTMLElement, loadOlder: HTMLElement, text: HTMLTextAreaElement, joinForm: HTMLFormElement, joinInput: HTMLInputElement, joinHint: HTMLElement }} PageEventsParts
 * @typedef {{
 *   identity: import("./identity.js").Identity,
 *   rooms: import("./rooms.js").Rooms,
 *   switcher: import("./switcher.js").Switcher,
 *   directory: import("./directory.js").Directory,
 *   header: import("./room_header.js").RoomHeader,
 *   notifier: import("./notifier.js").Notifier,
 *   nameDialog: import("./name_dialog.js").NameDialog,
 *   drawer: import("./drawer.js").Drawer,
 *   messageList: import("./message_list.js").MessageList,
 *   pageView: import("./page_view.js").PageView,
 *   open: (name: string) => void,
 *   notice: (text: string) => void,
 *   clearNotices: () => void,
 * }} PageEventsPage
 *   `open`: opens a room and puts the caret in its message box
 */

/**
 * Listens to the page's controls and to the browser.
 * @param {PageEventsParts} parts
 * @param {PageEventsPage} page
 */
export function listenToPage(parts, page) {
  const { rooms, messageList, pageView } = page;
  listenToJoinForm(parts, page.open);
  listenForShortcuts({
    openSwitcher: () => page.switcher.open(),
    switchBy: (step) => rooms.switchBy(step),
  });
  parts.browse.addEventListener("click", () => page.directory.show());
  parts.mute.addEventListener("click", () => {
    page.header.showMuted(rooms.toggleMuted(rooms.current));
    pageView.renderRooms();
  });
  listenToNotifyToggle(parts.notify, {
    notifier: page.notifier,
    notice: page.notice,
  });
  document.addEventListener("visibilitychange", () => {
    const view = rooms.view;
    if (document.hidden || !view) return;
    view.unread = 0;
    view.mentions = 0;
    pageView.renderRooms();
  });
  parts.leave.addEventListener("click", () => {
    rooms.leaveCurrent();
    parts.text.focus();
  });
  parts.jump.addEventListener("click", () => parts.text.focus());
  parts.noticeClose.addEventListener("click", () => {
    page.clearNotices();
    parts.text.focus();
  });
  parts.rename.addEventListener(
    "click",
    () => page.nameDialog.open(page.identity.name),
  );
  parts.headerMembers.addEventListener("click", () => {
    // On phones the member list is in the drawer; on desktops it is in view.
    if (getComputedStyle(parts.menu).display !== "none") page.drawer.open();
    parts.membersTitle.focus();
    parts.membersTitle.scrollIntoView({ block: "nearest" });
  });
  parts.loadOlder.addEventListener("click", () => {
    rooms.view?.loadOlder();
    messageList.refresh();
  });
  addEventListener("hashchange", () => rooms.followHash());
  addEventListener("online", () => pageView.showStatus());
  addEventListener("offline", () => pageView.showStatus());
  setInterval(() => messageList.updateTimes(), TIMES_INTERVAL);
}
