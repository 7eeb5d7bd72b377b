// The chat page. It speaks chat.v1 through the client library the server
// serves beside it (client/mod.js): the library reconnects, resumes each room
// so every message shows exactly once, keeps unsent messages in localStorage
// until the server stores them, and paces them to the server's limits. This
// module makes the page's parts, hands each what it needs of the others, and
// starts the page; all user text goes in with textContent, never as HTML.

import { ChatClient, StorageOutbox } from "./client/mod.js";
import { listenToClient } from "./client_events.js";
import { Directory } from "./directory.js";
import { Drawer } from "./drawer.js";
import { EndedPanel } from "./ended_panel.js";
import { ERROR_TEXT, reason } from "./error_text.js";
import { directRoom, directRoomUsers } from "./format.js";
import { FrameBatch } from "./frame_batch.js";
import { Identity } from "./identity.js";
import { JoinRefusals } from "./join_refusals.js";
import { listenToMessageClicks } from "./message_clicks.js";
import { createMessagePane } from "./message_pane.js";
import { NameDialog } from "./name_dialog.js";
import { Notices } from "./notices.js";
import { Notifier } from "./notifier.js";
import { listenToPage } from "./page_events.js";
import { findPageParts } from "./page_parts.js";
import { PageView } from "./page_view.js";
import { hashFor } from "./room_hash.js";
import { RoomHeader } from "./room_header.js";
import { roomHooks } from "./room_hooks.js";
import { RoomView } from "./room_view.js";
import { Rooms } from "./rooms.js";
import { Sidebar } from "./sidebar.js";
import { guestKey, signedInTokens } from "./sign_in.js";
import { Switcher } from "./switcher.js";
import { TypingIndicator } from "./typing_indicator.js";

const ui = findPageParts();
const identity = new Identity(ui, {
  setName: (name) => client.setName(name),
  named(changed) {
    if (changed) messageList.show(rooms.view);
    frames.schedule("members");
  },
  failed: (error) => showNotice(reason(error), error?.message),
});
const token = await signedInTokens();
const client = new ChatClient(new URL("ws", location.href), {
  // Signed in, the token names us; a guest picks a name.
  name: token ? undefined : identity.name || undefined,
  token,
  guestKey: guestKey(),
  outbox: new StorageOutbox(localStorage),
});

const rooms = new Rooms({
  join: (name) => new RoomView(client.join(name), hooks),
  refused: (view, error) =>
    refusals.add(view.name, reason(error), error?.message),
  shown: (view) => pageView.shown(view),
  changed: () => frames.schedule("rooms"),
  invalid: (said) =>
    showNotice(`“${said}” is not a room name. ${ERROR_TEXT.invalid_room}`),
});
const { messageList, menu, messageMenu, composer } = createMessagePane(ui, {
  client,
  identity,
  rooms,
  notice: showNotice,
  clearNotices,
});
const notices = new Notices(ui.notice, ui.noticeText);
const refusals = new JoinRefusals({
  labelFor: (name) => rooms.labelFor(name),
  notice: showNotice,
});
const sidebar = new Sidebar(ui, {
  current: () => rooms.current,
  hashFor,
  labelFor: (name) => rooms.labelFor(name),
  isDirect: (name) => directRoomUsers(name) !== null,
  muted: (name) => rooms.isMuted(name),
  myId: () => identity.id,
  canMessage: (member) => identity.signedIn && !member.guest,
  messageDirectly,
});
const notifier = new Notifier();
const directory = new Directory(ui.directory, {
  load: () => client.directory(),
  joined: (name) => rooms.has(name),
  open,
  reason,
});
const switcher = new Switcher(
  ui.switcher,
  () => rooms.names.map((name) => ({ name, label: rooms.labelFor(name) })),
  open,
);
const header = new RoomHeader(ui);
const drawer = new Drawer(ui);
const typing = new TypingIndicator(ui.typing, () => frames.schedule("typing"));
const endedPanel = new EndedPanel(ui, {
  labelFor: (name) => rooms.labelFor(name),
  rejoin() {
    rooms.rejoinCurrent();
    ui.text.focus();
  },
  close() {
    rooms.forget(rooms.current);
    ui.text.focus();
  },
  hid: () => composer.cancelEditing(),
});
const nameDialog = new NameDialog(ui, {
  me: () => identity.name,
  signedIn: () => identity.signedIn,
  chosen(name) {
    identity.show(name);
    identity.rename(name);
  },
  closed: () => ui.text.focus(),
  notice: showNotice,
});
const frames = new FrameBatch(
  ["list", "rooms", "members", "pending", "typing"],
  (dirty) => pageView.paint(dirty),
);
const pageView = new PageView(ui, {
  client,
  rooms,
  header,
  menu,
  composer,
  messageList,
  sidebar,
  typing,
  endedPanel,
  drawer,
  frames,
});
const hooks = roomHooks({
  client,
  identity,
  rooms,
  notifier,
  messageList,
  composer,
  endedPanel,
  frames,
  notice: showNotice,
  updateTitle: () => pageView.updateTitle(),
});

/** Opens the room `name` and puts the caret in its message box. */
function open(name) {
  rooms.navigate(name);
  ui.text.focus();
}

/** Opens the direct-message room with `member`. */
function messageDirectly(member) {
  const room = directRoom(identity.id, member.id);
  if (!room) return;
  rooms.openDirect(room, `@${member.name}`);
  ui.text.focus();
}

/**
 * Shows `text` below the other notices; one with the same `key` is replaced.
 * @param {string} text
 * @param {string} [detail] the server's own words, as a tooltip
 * @param {string} [key]
 */
function showNotice(text, detail, key) {
  notices.show(text, detail, key);
}

/** Clears the notices, those of refused joins too. */
function clearNotices() {
  notices.clear();
  refusals.clear();
}

// ---- Wiring.

listenToClient(client, {
  identity,
  nameDialog,
  endedPanel,
  rooms,
  showStatus: () => pageView.showStatus(),
});
listenToPage(ui, {
  identity,
  rooms,
  switcher,
  directory,
  header,
  notifier,
  nameDialog,
  drawer,
  messageList,
  pageView,
  open,
  notice: showNotice,
  clearNotices,
});
listenToMessageClicks(ui.scroller, {
  rooms,
  menu,
  messageMenu,
  messageList,
  text: ui.text,
});

// ---- Start.

rooms.restore();
ui.meName.textContent = identity.name || "Guest";
rooms.followHash();
pageView.showStatus();
ui.notify.setAttribute("aria-pressed", String(notifier.enabled));
if (!token && !identity.name) nameDialog.open(identity.name);
else ui.text.focus();
