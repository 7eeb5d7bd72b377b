// The chat page. It speaks chat.v1 through the client library the server
// serves beside it (client/mod.js): the library reconnects, resumes each room
// so every message shows exactly once, keeps unsent messages in localStorage
// until the server stores them, and paces them to the server's limits. This
// module wires the page's parts to the client and to each other; all user
// text goes in with textContent, never as HTML.

import { ChatClient, StorageOutbox } from "./client/mod.js";
import { ActionDialog } from "./action_dialog.js";
import { notificationBody, shouldNotify, titleFor } from "./attention.js";
import { Composer } from "./composer.js";
import { showConnection } from "./connection_status.js";
import { Directory } from "./directory.js";
import { Drawer } from "./drawer.js";
import { EndedPanel } from "./ended_panel.js";
import { endedText, ERROR_TEXT, reason } from "./error_text.js";
import { directRoom, directRoomUsers } from "./format.js";
import { FrameBatch } from "./frame_batch.js";
import { Identity } from "./identity.js";
import { listenToJoinForm } from "./join_form.js";
import { JoinRefusals } from "./join_refusals.js";
import { limitOf } from "./limits.js";
import { MentionPicker } from "./mention_picker.js";
import { Menu } from "./menu.js";
import { lastEditable, messageActions } from "./message_actions.js";
import { MessageList } from "./message_list.js";
import { MessageMenu } from "./message_menu.js";
import { NameDialog } from "./name_dialog.js";
import { Notices } from "./notices.js";
import { Notifier } from "./notifier.js";
import { listenToNotifyToggle } from "./notify_toggle.js";
import { hashFor } from "./room_hash.js";
import { RoomHeader } from "./room_header.js";
import { RoomView } from "./room_view.js";
import { DEFAULT_ROOM, Rooms } from "./rooms.js";
import { listenForShortcuts } from "./shortcuts.js";
import { Sidebar } from "./sidebar.js";
import { guestKey, signedInTokens } from "./sign_in.js";
import { Switcher } from "./switcher.js";
import { TypingIndicator } from "./typing_indicator.js";

const $ = (id) => document.getElementById(id);
const ui = {
  app: $("app"),
  sidebar: $("sidebar"),
  scrim: $("scrim"),
  menu: $("menu"),
  rooms: $("rooms"),
  directs: $("directs"),
  directsPanel: $("directs-panel"),
  mute: $("mute"),
  notify: $("notify"),
  joinForm: $("join-form"),
  joinInput: $("join-input"),
  joinHint: $("join-hint"),
  members: $("members"),
  memberCount: $("member-count"),
  headerMembers: $("header-members"),
  membersTitle: $("members-title"),
  meAvatar: $("me-avatar"),
  meName: $("me-name"),
  meStatus: $("me-status"),
  rename: $("rename"),
  roomName: $("room-name"),
  leave: $("leave"),
  leaveNote: $("leave-note"),
  status: $("status"),
  statusText: $("status-text"),
  scroller: $("scroller"),
  notice: $("notice"),
  noticeText: $("notice-text"),
  noticeClose: $("notice-close"),
  composer: $("composer"),
  composerHelp: $("composer-help"),
  composerLabel: $("composer-label"),
  text: $("text"),
  typing: $("typing"),
  ended: $("ended"),
  endedText: $("ended-text"),
  rejoin: $("rejoin"),
  closeRoom: $("close-room"),
  nameDialog: $("name-dialog"),
  nameForm: $("name-form"),
  nameInput: $("name-input"),
  nameError: $("name-error"),
  nameCancel: $("name-cancel"),
  emptyRoom: $("empty-room"),
  loadOlder: $("load-older"),
};

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

/** Who is looking, for what they may do to messages. */
function viewer() {
  return identity.viewer(limitOf(client, "editWindow"));
}

/** @param {{ user: string, userId?: string }} message */
function isOwn(message) {
  return identity.isOwn(message);
}

const rooms = new Rooms({
  join: (name) => new RoomView(client.join(name), roomHooks),
  refused: (view, error) =>
    refusals.add(view.name, reason(error), error?.message),
  shown,
  changed: () => frames.schedule("rooms"),
  invalid: (said) =>
    showNotice(`“${said}” is not a room name. ${ERROR_TEXT.invalid_room}`),
});
const messageList = new MessageList({
  scroller: ui.scroller,
  list: $("messages"),
  pendingList: $("pending"),
  jump: $("jump"),
  empty: $("empty"),
  top: $("history-top"),
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
const menu = new Menu($("message-menu"));
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
const directory = new Directory($("directory"), {
  load: () => client.directory(),
  joined: (name) => rooms.has(name),
  open,
  reason,
});
new MentionPicker(
  ui.text,
  $("mention-list"),
  () =>
    (rooms.view?.room.members ?? [])
      .filter((member) => member.id !== identity.id)
      .map((member) => member.name),
);
const switcher = new Switcher(
  $("switcher"),
  () => rooms.names.map((name) => ({ name, label: rooms.labelFor(name) })),
  open,
);
const messageMenu = new MessageMenu(
  menu,
  new ActionDialog($("action-dialog")),
  {
    viewer,
    labelFor: (name) => rooms.labelFor(name),
    isOwn,
    startEditing: (message) => composer.startEditing(message),
    notice: showNotice,
    reason,
  },
);
const composer = new Composer({
  form: ui.composer,
  text: ui.text,
  counter: $("counter"),
  editing: $("editing"),
  cancel: $("edit-cancel"),
}, {
  maxBytes: () => limitOf(client, "maxMessageBytes"),
  send: submitMessage,
  edit,
  typing: () => rooms.view?.room.typing(),
  lastEditable: () =>
    lastEditable(rooms.view?.messages ?? [], viewer(), Date.now()),
  tooLong: (max) =>
    showNotice(`This message is too long: at most ${max} bytes (UTF-8).`),
});
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
  (dirty) => {
    if (dirty.rooms) renderRooms();
    if (dirty.members) sidebar.renderMembers(rooms.view);
    if (dirty.list) messageList.refresh();
    else if (dirty.pending) messageList.pendingChanged();
    if (dirty.typing) typing.render(rooms.view?.typing);
  },
);

/** How a room tells the page what changed. */
const roomHooks = {
  me: () => identity.name || "You",
  myId: () => identity.id,
  typingInterval: () => limitOf(client, "typingInterval"),
  isOwn,
  isCurrent: (view) => view.name === rooms.current,
  isSeen: (view) => view.name === rooms.current && !document.hidden,
  largeRoom: () => limitOf(client, "largeRoom"),
  arrived(view, message, mention) {
    const facts = {
      enabled: notifier.enabled,
      hidden: document.hidden,
      muted: rooms.isMuted(view.name),
      own: isOwn(message),
      mention,
      direct: directRoomUsers(view.name) !== null,
    };
    if (!shouldNotify(facts)) return;
    notifier.notify(
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
    if (parts.includes("rooms")) updateTitle();
  },
  amended(view, message) {
    if (view === rooms.view) messageList.updated(message);
    if (composer.editing === message && message.deleted) {
      composer.cancelEditing();
    }
  },
  ended(view) {
    // The room in view says it in place of the message box; others in a notice.
    if (rooms.current === view.name) endedPanel.render(rooms.view);
    else showNotice(endedText(view.ended, rooms.labelFor(view.name)));
    frames.schedule("rooms");
  },
  notice: showNotice,
  reason,
};

client.on("state", showStatus);
client.on("user", ({ user, identity: who }) => {
  identity.identify(who);
  if (identity.signedIn) nameDialog.close();
  identity.show(user, { remember: false });
});
client.on("state", ({ state: now }) => {
  if (now === "open") identity.reconnected();
  if (now === "open" && endedPanel.signedOut) {
    endedPanel.signedOut = false;
    endedPanel.render(rooms.view);
  }
});
client.on("error", ({ error }) => {
  if (error.code !== "signed_out") return;
  endedPanel.signedOut = true;
  endedPanel.render(rooms.view);
});

/** Opens the room `name` and puts the caret in its message box. */
function open(name) {
  rooms.navigate(name);
  ui.text.focus();
}

/** @param {string} text */
function submitMessage(text) {
  rooms.view.send(text);
  hideNotice();
  messageList.pendingChanged();
  messageList.jumpToLatest();
}

/** Edits a message; every member then gets the change. */
function edit(message, text) {
  rooms.view?.room.edit(message.id, text)
    .catch((error) => showNotice(reason(error), error?.message));
}

/** Opens the direct-message room with `member`. */
function messageDirectly(member) {
  const room = directRoom(identity.id, member.id);
  if (!room) return;
  rooms.openDirect(room, `@${member.name}`);
  ui.text.focus();
}

/** Shows the room that just came into view. */
function shown(view) {
  header.show(rooms.labelFor(view.name), {
    muted: rooms.isMuted(view.name),
    // Everyone is in the default room: it comes back at once when left.
    leavable: view.name !== DEFAULT_ROOM,
  });
  menu.close(false);
  composer.cancelEditing();
  messageList.show(view);
  renderRooms();
  sidebar.renderMembers(view);
  typing.render(view.typing);
  endedPanel.render(view);
  drawer.close();
}

/**
 * Lists the rooms and updates the title. Not left to the next frame: hidden
 * tabs get none.
 */
function renderRooms() {
  sidebar.renderRooms(rooms.views);
  updateTitle();
}

/** Puts the unread count in the tab's title and on the drawer's button. */
function updateTitle() {
  const unread = rooms.unread(document.hidden);
  ui.menu.dataset.unread = unread > 0 ? String(unread) : "";
  document.title = titleFor(rooms.labelFor(rooms.current), unread);
}

/** Shows the connection's state; anything not sent yet must say it waits. */
function showStatus() {
  showConnection(ui, client.state);
  if (client.state !== "open") frames.schedule("pending", "list");
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

function hideNotice() {
  notices.clear();
  refusals.clear();
}

// ---- Wiring.

listenToJoinForm(ui, open);
listenForShortcuts({
  openSwitcher: () => switcher.open(),
  switchBy: (step) => rooms.switchBy(step),
});
$("browse").addEventListener("click", () => directory.show());
ui.mute.addEventListener("click", () => {
  header.showMuted(rooms.toggleMuted(rooms.current));
  renderRooms();
});
listenToNotifyToggle(ui.notify, { notifier, notice: showNotice });
document.addEventListener("visibilitychange", () => {
  const view = rooms.view;
  if (document.hidden || !view) return;
  view.unread = 0;
  view.mentions = 0;
  renderRooms();
});
ui.leave.addEventListener("click", () => {
  rooms.leaveCurrent();
  ui.text.focus();
});
$("jump").addEventListener("click", () => ui.text.focus());
ui.noticeClose.addEventListener("click", () => {
  hideNotice();
  ui.text.focus();
});
ui.rename.addEventListener("click", () => nameDialog.open(identity.name));
ui.headerMembers.addEventListener("click", () => {
  // On phones the member list is in the drawer; on desktops it is in view.
  if (getComputedStyle(ui.menu).display !== "none") drawer.open();
  ui.membersTitle.focus();
  ui.membersTitle.scrollIntoView({ block: "nearest" });
});
ui.loadOlder.addEventListener("click", () => {
  rooms.view?.loadOlder();
  messageList.refresh();
});
ui.scroller.addEventListener("click", (event) => {
  const opener = event.target.closest("button[data-menu]");
  if (opener) {
    const view = rooms.view;
    const id = Number(opener.dataset.menu);
    const message = view?.messages.find((candidate) => candidate.id === id);
    if (menu.open) menu.close(false);
    else if (message) messageMenu.open(opener, view, message);
    return;
  }
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const view = rooms.view;
  if (button.dataset.action === "discard") view.discard(button.dataset.nonce);
  else view.retry(button.dataset.nonce);
  messageList.pendingChanged();
  ui.text.focus();
});
addEventListener("hashchange", () => rooms.followHash());
addEventListener("online", showStatus);
addEventListener("offline", showStatus);
setInterval(() => messageList.updateTimes(), 30_000);

// ---- Start.

rooms.restore();
ui.meName.textContent = identity.name || "Guest";
rooms.followHash();
showStatus();
ui.notify.setAttribute("aria-pressed", String(notifier.enabled));
if (!token && !identity.name) nameDialog.open(identity.name);
else ui.text.focus();
