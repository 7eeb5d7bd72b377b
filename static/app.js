// The chat page. It speaks chat.v1 through the client library the server
// serves beside it (client/mod.js): the library reconnects, resumes each room
// so every message shows exactly once, keeps unsent messages in localStorage
// until the server stores them, and paces them to the server's limits. This
// page keeps the rooms in the URL (/#/room) and renders; all user text goes
// in with textContent, never as HTML.

import { ChatClient, StorageOutbox } from "./client/mod.js";
import { ActionDialog } from "./action_dialog.js";
import { notificationBody, shouldNotify, titleFor } from "./attention.js";
import { Composer } from "./composer.js";
import { Directory } from "./directory.js";
import {
  checkName,
  directRoom,
  directRoomUsers,
  normalizeRoom,
} from "./format.js";
import { MentionPicker } from "./mention_picker.js";
import { Menu } from "./menu.js";
import {
  isModerator,
  lastEditable,
  messageActions,
} from "./message_actions.js";
import { MessageList } from "./message_list.js";
import { MessageMenu } from "./message_menu.js";
import { Notices } from "./notices.js";
import { Notifier } from "./notifier.js";
import { RoomView } from "./room_view.js";
import { avatarFor, Sidebar } from "./sidebar.js";
import { guestKey, loadConfig, tokenProvider } from "./sign_in.js";
import { Switcher } from "./switcher.js";
import { typingLine } from "./typing.js";

const NAME_KEY = "chat.name";
const ROOMS_KEY = "chat.rooms";
/** What direct rooms are called here: `@` and the other user's name, by room. */
const LABELS_KEY = "chat.room-labels";
/** Rooms the user muted: no notifications, not counted in the title. */
const MUTED_KEY = "chat.muted";
/** The newest message id read in each room, for "new since you left". */
const READ_KEY = "chat.read";
const DEFAULT_ROOM = "general";
/** Shown until `hello` says otherwise. */
const DEFAULT_MAX_MESSAGE_BYTES = 4096;
/** The server's default edit window in seconds, until `hello` says. */
const DEFAULT_EDIT_WINDOW = 900;
/** The server's default large-room size, until `hello` says. */
const DEFAULT_LARGE_ROOM = 200;
/** The server's default typing interval in milliseconds, until `hello` says. */
const DEFAULT_TYPING_INTERVAL = 2000;

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

const state = {
  me: localStorage.getItem(NAME_KEY) ?? "",
  /** @type {Map<string, RoomView>} */
  rooms: new Map(),
  current: DEFAULT_ROOM,
  /** A name chosen while offline, set once the connection is back. */
  wantedName: "",
  /** The server's id for us, from `authenticated`. */
  myId: "",
  /** Whether a token signed us in (otherwise we are a guest). */
  signedIn: false,
  /** The token's role: `member`, `moderator` or `admin`. */
  role: "member",
  /** Whether the host application ended our connections (close 4410). */
  signedOut: false,
  /** @type {Record<string, string>} labels of direct rooms */
  labels: readRecord(LABELS_KEY),
  /** @type {Set<string>} rooms muted */
  muted: new Set(readList(MUTED_KEY)),
  /** @type {Record<string, number>} newest message id read, by room */
  read: readRecord(READ_KEY),
};

const token = await signedInTokens();
const client = new ChatClient(new URL("ws", location.href), {
  // Signed in, the token names us; a guest picks a name.
  name: token ? undefined : state.me || undefined,
  token,
  guestKey: guestKey(),
  outbox: new StorageOutbox(localStorage),
});

/**
 * A token provider when the host application has signed this browser in,
 * else `undefined`: the page then chats as a guest.
 */
async function signedInTokens() {
  const { tokenUrl } = await loadConfig();
  if (!tokenUrl) return undefined;
  const provider = tokenProvider(tokenUrl);
  try {
    await provider();
    return provider;
  } catch {
    return undefined;
  }
}

function currentRoom() {
  return state.rooms.get(state.current);
}

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
  markGuests: () => state.signedIn,
  markup: () => ({
    names: currentRoom()?.room.members.map((member) => member.name) ?? [],
    me: state.me,
  }),
  onNeedOlder: (room) => room.loadOlder(),
  onSeen(room, id) {
    if (document.hidden || id <= room.readId) return;
    room.readId = id;
    state.read[room.name] = id;
    localStorage.setItem(READ_KEY, JSON.stringify(state.read));
  },
});
const menu = new Menu($("message-menu"));
const notices = new Notices(ui.notice, ui.noticeText);
const sidebar = new Sidebar(ui, {
  current: () => state.current,
  hashFor,
  labelFor,
  isDirect: (name) => directRoomUsers(name) !== null,
  muted: (name) => state.muted.has(name),
  myId: () => state.myId,
  canMessage: (member) => state.signedIn && !member.guest,
  messageDirectly,
});
const notifier = new Notifier();
const directory = new Directory($("directory"), {
  load: () => client.directory(),
  joined: (name) => state.rooms.has(name),
  open(name) {
    navigate(name);
    ui.text.focus();
  },
  reason,
});
new MentionPicker(
  ui.text,
  $("mention-list"),
  () =>
    (currentRoom()?.room.members ?? [])
      .filter((member) => member.id !== state.myId)
      .map((member) => member.name),
);
const switcher = new Switcher(
  $("switcher"),
  () =>
    [...state.rooms.keys()].map((name) => ({ name, label: labelFor(name) })),
  (name) => {
    navigate(name);
    ui.text.focus();
  },
);
const messageMenu = new MessageMenu(
  menu,
  new ActionDialog($("action-dialog")),
  {
    viewer,
    labelFor,
    isOwn,
    startEditing: (message) => composer.startEditing(message),
    notice: showNotice,
    reason,
  },
);
const composer = new Composer({
  form: $("composer"),
  text: ui.text,
  counter: $("counter"),
  editing: $("editing"),
  cancel: $("edit-cancel"),
}, {
  maxBytes: maxMessageBytes,
  send: submitMessage,
  edit,
  typing: () => currentRoom()?.room.typing(),
  lastEditable: () =>
    lastEditable(currentRoom()?.messages ?? [], viewer(), Date.now()),
  tooLong: (max) =>
    showNotice(`This message is too long: at most ${max} bytes (UTF-8).`),
});

/** Who is looking, for what they may do to messages. */
function viewer() {
  return {
    id: state.myId,
    role: state.role,
    editWindow: client.limits?.editWindow ?? DEFAULT_EDIT_WINDOW,
  };
}

// ---- Rendering is batched: state changes mark what is dirty, one frame paints.

const dirty = {
  list: false,
  rooms: false,
  members: false,
  pending: false,
  typing: false,
};
let frame = 0;

function schedule(...parts) {
  for (const part of parts) dirty[part] = true;
  frame ||= requestAnimationFrame(paint);
}

function paint() {
  frame = 0;
  if (dirty.rooms) renderRooms();
  if (dirty.members) renderMembers();
  if (dirty.list) messageList.refresh();
  else if (dirty.pending) messageList.pendingChanged();
  if (dirty.typing) renderTyping();
  dirty.list =
    dirty.rooms =
    dirty.members =
    dirty.pending =
    dirty.typing =
      false;
}

// ---- The client's events.

const ERROR_TEXT = {
  "rate_limited": "You are sending messages too fast. Wait a moment and retry.",
  "message_too_large": "This message is too long.",
  "bad_request": "The server could not read this message.",
  "invalid_room":
    "Room names are 1 to 64 letters, digits, “-” or “_”, without spaces.",
  "too_many_rooms": "You are in too many rooms. Leave one first.",
  "invalid_name": "That name cannot be used.",
  "disconnected": "You are offline. Try again once connected.",
  "unauthorized": "You could not be signed in.",
  "token_expired": "Your sign-in expired; signing in again.",
  "auth_required": "Sign in to chat here.",
  "read_only": "Guests may only read here. Sign in to send messages.",
  "forbidden": "You cannot use this room.",
  "name_taken": "Someone signed in here uses that name. Pick another.",
  "too_many_connections": "You have too many chat tabs open.",
  "banned": "You are banned from this room.",
  "not_found": "That message is gone.",
  "edit_window_closed": "The time to change this message has passed.",
  "too_many_edits": "This message cannot be edited any more.",
};

/** What the page says when the server took the user out of a room. */
const ENDED_TEXT = {
  banned: (label) => `You were banned from ${label} by a moderator.`,
  kicked: (label) =>
    `A moderator removed you from ${label}. You may join it again.`,
  forbidden: (label) => `You no longer have access to ${label}.`,
};

/** A sentence for the user about a ChatError. */
function reason(error) {
  return ERROR_TEXT[error?.code] ?? error?.message ?? "Request failed.";
}

/** Whether a message (or a pending one, which has no user id) is ours. */
function isOwn(message) {
  return message.userId
    ? message.userId === state.myId
    : message.user === state.me;
}

/** How a room tells the page what changed. */
const roomHooks = {
  me: () => state.me || "You",
  myId: () => state.myId,
  typingInterval: () =>
    client.limits?.typingInterval ?? DEFAULT_TYPING_INTERVAL,
  isOwn,
  isCurrent: (view) => view.name === state.current,
  isSeen: (view) => view.name === state.current && !document.hidden,
  largeRoom: () => client.limits?.largeRoom ?? DEFAULT_LARGE_ROOM,
  arrived(view, message, mention) {
    const direct = directRoomUsers(view.name) !== null;
    const facts = {
      enabled: notifier.enabled,
      hidden: document.hidden,
      muted: state.muted.has(view.name),
      own: isOwn(message),
      mention,
      direct,
    };
    if (!shouldNotify(facts)) return;
    notifier.notify(
      `${message.user} in ${labelFor(view.name)}`,
      notificationBody(message.text),
      view.name,
      () => navigate(view.name),
    );
  },
  changed(...parts) {
    const view = currentRoom();
    if (parts.includes("show") && view) messageList.show(view);
    if (parts.includes("older") && view) {
      messageList.refresh();
      messageList.olderLoaded();
    }
    schedule(...parts.filter((part) => part in dirty));
    if (parts.includes("rooms")) updateTitle();
  },
  amended(view, message) {
    if (view === currentRoom()) messageList.updated(message);
    if (composer.editing === message && message.deleted) {
      composer.cancelEditing();
    }
  },
  ended(view) {
    // The room in view says it in place of the message box; others in a notice.
    if (state.current === view.name) renderEnded();
    else showNotice(ENDED_TEXT[view.ended]?.(labelFor(view.name)) ?? "");
    schedule("rooms");
  },
  notice: showNotice,
  reason,
};

client.on("state", showStatus);
client.on("user", ({ user, identity }) => {
  state.myId = identity?.id ?? "";
  state.role = identity?.role ?? "member";
  state.signedIn = identity !== undefined && !identity.guest;
  ui.rename.hidden = state.signedIn;
  const role = isModerator(state.role) ? ` · ${state.role}` : "";
  ui.meStatus.textContent = state.signedIn ? `Signed in${role}` : "Guest";
  if (state.signedIn && ui.nameDialog.open) ui.nameDialog.close();
  setMe(user, { remember: false });
});
client.on("state", ({ state: now }) => {
  if (now === "open" && state.wantedName) rename(state.wantedName);
  if (now === "open" && state.signedOut) {
    state.signedOut = false;
    renderEnded();
  }
});
client.on("error", ({ error }) => {
  if (error.code !== "signed_out") return;
  state.signedOut = true;
  renderEnded();
});

function rename(name) {
  state.wantedName = name;
  client.setName(name).then((normalized) => {
    state.wantedName = "";
    localStorage.setItem(NAME_KEY, normalized);
  }, (error) => {
    if (error?.code === "disconnected") return;
    state.wantedName = "";
    showNotice(reason(error), error?.message);
  });
}

// ---- Sending.

/** @param {string} text */
function submitMessage(text) {
  currentRoom().send(text);
  hideNotice();
  messageList.pendingChanged();
  messageList.jumpToLatest();
}

// ---- Message actions.

/** Edits a message; every member then gets the change. */
function edit(message, text) {
  currentRoom()?.room.edit(message.id, text)
    .catch((error) => showNotice(reason(error), error?.message));
}

// ---- Typing and rooms that ended.

let typingTimer = 0;

function renderTyping() {
  clearTimeout(typingTimer);
  const typing = currentRoom()?.typing;
  const now = Date.now();
  const text = typing ? typingLine(typing.names(now)) : "";
  if (ui.typing.textContent !== text) ui.typing.textContent = text;
  const next = typing?.nextChange();
  if (next != null) {
    typingTimer = setTimeout(() => schedule("typing"), next - now);
  }
}

/** Shows, in place of the composer, why the user cannot write here. */
function renderEnded() {
  const view = currentRoom();
  const ended = view?.ended;
  const text = state.signedOut
    ? "You were signed out. Sign in again, then reload this page."
    : ended
    ? ENDED_TEXT[ended](labelFor(view.name))
    : "";
  ui.ended.hidden = !text;
  ui.endedText.textContent = text;
  ui.rejoin.hidden = state.signedOut || ended !== "kicked";
  ui.closeRoom.hidden = state.signedOut || view?.name === DEFAULT_ROOM;
  $("composer").hidden = Boolean(text);
  $("composer-help").hidden = Boolean(text);
  if (text) composer.cancelEditing();
}

// ---- Rooms and navigation.

/**
 * The room the URL names: `{ name }`, `{ invalid }` with what it said when
 * that is no room name, or null when it names none.
 */
function roomFromHash() {
  const match = location.hash.match(/^#\/(.+)$/);
  if (!match) return null;
  let said = match[1];
  try {
    said = decodeURIComponent(said);
  } catch {
    // Not valid percent-encoding: shown as it is.
  }
  const name = normalizeRoom(said);
  return name ? { name } : { invalid: said };
}

/** Opens the room the URL names, or says why it cannot. */
function followHash() {
  const target = roomFromHash();
  if (target?.name) return navigate(target.name, { replace: true });
  if (target) {
    showNotice(
      `“${target.invalid}” is not a room name. ${ERROR_TEXT.invalid_room}`,
    );
  }
  navigate(state.current, { replace: true });
}

/** The room's link: a direct room's name holds `%` and `:`, which a URL must escape. */
function hashFor(name) {
  return `#/${encodeURIComponent(name)}`;
}

/** What the page calls a room: `#name`, or `@` and the other user's name. */
function labelFor(name) {
  if (!directRoomUsers(name)) return `#${name}`;
  return state.labels[name] ?? "@direct message";
}

/** @param {string} key */
function readList(key) {
  try {
    const list = JSON.parse(localStorage.getItem(key) ?? "[]");
    return Array.isArray(list) ? list.map(String) : [];
  } catch {
    return [];
  }
}

/** @param {string} key */
function readRecord(key) {
  try {
    const record = JSON.parse(localStorage.getItem(key) ?? "{}");
    return record && typeof record === "object" ? record : {};
  } catch {
    return {};
  }
}

/** Opens the direct-message room with `member`. */
function messageDirectly(member) {
  const room = directRoom(state.myId, member.id);
  if (!room) return;
  state.labels[room] = `@${member.name}`;
  localStorage.setItem(LABELS_KEY, JSON.stringify(state.labels));
  navigate(room);
  ui.text.focus();
}

function saveRooms() {
  localStorage.setItem(ROOMS_KEY, JSON.stringify([...state.rooms.keys()]));
}

function loadRooms() {
  try {
    const names = JSON.parse(localStorage.getItem(ROOMS_KEY) ?? "[]");
    return Array.isArray(names)
      ? names.map((name) => normalizeRoom(String(name))).filter(Boolean)
      : [];
  } catch {
    return [];
  }
}

function ensureRoom(name) {
  let view = state.rooms.get(name);
  if (!view) {
    view = new RoomView(client.join(name), roomHooks);
    view.readId = Number(state.read[name]) || 0;
    state.rooms.set(name, view);
    view.room.ready.catch((error) => onJoinRefused(view, error));
    saveRooms();
    schedule("rooms");
  }
  return view;
}

/** Rooms the server refused, by the reason it gave, until the notice goes. */
const refusals = new Map();

function onJoinRefused(view, error) {
  if (state.rooms.get(view.name) !== view) return;
  const why = reason(error);
  const names = refusals.get(why) ?? [];
  if (!names.includes(view.name)) names.push(view.name);
  refusals.set(why, names);
  showNotice(
    `Cannot join ${names.map(labelFor).join(", ")}: ${why}`,
    error?.message,
    `join:${why}`,
  );
  if (view.name === DEFAULT_ROOM) return;
  forget(view.name);
}

/** Takes a room off the page. */
function forget(name) {
  if (!state.rooms.delete(name)) return;
  saveRooms();
  if (state.current === name) {
    const next = state.rooms.keys().next().value ?? DEFAULT_ROOM;
    navigate(next, { replace: true });
  }
  schedule("rooms");
}

function navigate(name, { replace = false } = {}) {
  const hash = hashFor(name);
  if (location.hash !== hash) {
    if (replace) history.replaceState(null, "", hash);
    else history.pushState(null, "", hash);
  }
  switchTo(name);
}

function switchTo(name) {
  const room = ensureRoom(name);
  state.current = name;
  room.unread = 0;
  room.mentions = 0;
  room.readMark = room.readId;
  const label = labelFor(name);
  ui.mute.setAttribute("aria-label", `Mute ${label}`);
  ui.mute.setAttribute("aria-pressed", String(state.muted.has(name)));
  ui.roomName.textContent = label.slice(1);
  ui.emptyRoom.textContent = label;
  ui.composerLabel.textContent = `Message ${label}`;
  ui.text.placeholder = `Message ${label}`;
  ui.scroller.setAttribute("aria-label", `Messages in ${label}`);
  ui.leave.setAttribute("aria-label", `Leave ${label}`);
  // Everyone is in the default room: it comes back at once when left.
  ui.leave.hidden = name === DEFAULT_ROOM;
  ui.leaveNote.hidden = name !== DEFAULT_ROOM;
  menu.close(false);
  composer.cancelEditing();
  messageList.show(room);
  renderRooms();
  renderMembers();
  renderTyping();
  renderEnded();
  closeDrawer();
}

function leaveCurrent() {
  const name = state.current;
  // Leave locally at once; the server's `left` only confirms it.
  void currentRoom()?.room.leave();
  forget(name);
  if (state.rooms.size === 0) navigate(DEFAULT_ROOM, { replace: true });
  ui.text.focus();
}

/**
 * Puts the unread count in the tab's title and on the drawer's button. Not
 * left to the next frame: hidden tabs get none.
 */
function renderRooms() {
  sidebar.renderRooms(state.rooms.values());
  updateTitle();
}

function updateTitle() {
  let unread = 0;
  for (const room of state.rooms.values()) {
    if (room.name === state.current && !document.hidden) continue;
    if (!state.muted.has(room.name)) unread += room.unread;
  }
  ui.menu.dataset.unread = unread > 0 ? String(unread) : "";
  document.title = titleFor(labelFor(state.current), unread);
}

function renderMembers() {
  sidebar.renderMembers(currentRoom());
}

// ---- Name, status and notices.

function setMe(name, { remember = true } = {}) {
  const changed = name !== state.me;
  state.me = name;
  if (remember) localStorage.setItem(NAME_KEY, name);
  ui.meName.textContent = name;
  ui.meName.title = name;
  ui.meAvatar.replaceWith(ui.meAvatar = avatarFor(name));
  ui.meAvatar.id = "me-avatar";
  if (changed) messageList.show(currentRoom());
  schedule("members");
}

function showStatus() {
  const now = client.state;
  // The socket's state is the truth; "offline" only words a failed reconnect.
  const text = {
    connecting: "Connecting…",
    open: "Connected",
    reconnecting: navigator.onLine ? "Reconnecting…" : "Offline",
    closed: "Disconnected",
  }[now];
  ui.status.dataset.state = now;
  ui.statusText.textContent = text;
  if (now !== "open") schedule("pending", "list");
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

function openNameDialog() {
  ui.nameInput.value = state.me;
  ui.nameError.textContent = "";
  ui.nameInput.removeAttribute("aria-invalid");
  // The first time, leaving the dialog keeps the name the server made up.
  ui.nameCancel.textContent = localStorage.getItem(NAME_KEY)
    ? "Cancel"
    : "Stay a guest";
  ui.nameDialog.showModal();
  ui.nameInput.select();
}

// ---- Drawer (phones).

function openDrawer() {
  ui.app.dataset.drawer = "open";
  ui.menu.setAttribute("aria-expanded", "true");
  ui.scrim.hidden = false;
  ui.sidebar.querySelector('[aria-current="page"]')?.focus();
}

function closeDrawer() {
  if (ui.app.dataset.drawer !== "open") return;
  ui.app.dataset.drawer = "";
  ui.menu.setAttribute("aria-expanded", "false");
  ui.scrim.hidden = true;
}

// ---- Composer.

/** The server's limit, or the default until it has said. */
function maxMessageBytes() {
  return client.limits?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
}

// ---- Wiring.

ui.joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = normalizeRoom(ui.joinInput.value);
  if (!name) {
    ui.joinInput.setAttribute("aria-invalid", "true");
    ui.joinHint.dataset.error = "true";
    ui.joinInput.focus();
    return;
  }
  ui.joinInput.removeAttribute("aria-invalid");
  ui.joinHint.dataset.error = "false";
  ui.joinInput.value = "";
  navigate(name);
  ui.text.focus();
});
ui.joinInput.addEventListener("input", () => {
  ui.joinInput.removeAttribute("aria-invalid");
  ui.joinHint.dataset.error = "false";
});

ui.sidebar.addEventListener("click", (event) => {
  if (event.target.closest(".room-link")) closeDrawer();
});

$("browse").addEventListener("click", () => directory.show());

ui.mute.addEventListener("click", () => {
  const name = state.current;
  if (state.muted.has(name)) state.muted.delete(name);
  else state.muted.add(name);
  localStorage.setItem(MUTED_KEY, JSON.stringify([...state.muted]));
  ui.mute.setAttribute("aria-pressed", String(state.muted.has(name)));
  renderRooms();
});

ui.notify.addEventListener("click", async () => {
  const on = ui.notify.getAttribute("aria-pressed") !== "true";
  const now = await notifier.turn(on);
  ui.notify.setAttribute("aria-pressed", String(now));
  if (on && !now) {
    showNotice(
      "This browser does not allow notifications from this page. Allow them in its site settings, then try again.",
    );
  }
});

document.addEventListener("visibilitychange", () => {
  const room = currentRoom();
  if (document.hidden || !room) return;
  room.unread = 0;
  room.mentions = 0;
  renderRooms();
});

ui.leave.addEventListener("click", leaveCurrent);
$("jump").addEventListener("click", () => ui.text.focus());
ui.noticeClose.addEventListener("click", () => {
  hideNotice();
  ui.text.focus();
});
ui.rename.addEventListener("click", openNameDialog);
ui.nameCancel.addEventListener("click", () => ui.nameDialog.close());
ui.menu.addEventListener("click", () => {
  if (ui.app.dataset.drawer === "open") closeDrawer();
  else openDrawer();
});
ui.headerMembers.addEventListener("click", () => {
  // On phones the member list is in the drawer; on desktops it is in view.
  if (getComputedStyle(ui.menu).display !== "none") openDrawer();
  ui.membersTitle.focus();
  ui.membersTitle.scrollIntoView({ block: "nearest" });
});
ui.scrim.addEventListener("click", closeDrawer);
ui.loadOlder.addEventListener("click", () => {
  currentRoom()?.loadOlder();
  messageList.refresh();
});
/** Opens the room `step` places after the current one in the list, around. */
function switchBy(step) {
  const names = [...state.rooms.keys()];
  const index = names.indexOf(state.current);
  const next = names[(index + step + names.length) % names.length];
  if (next && next !== state.current) navigate(next);
}

document.addEventListener("keydown", (event) => {
  if (
    (event.ctrlKey || event.metaKey) && !event.altKey &&
    event.key.toLowerCase() === "k"
  ) {
    event.preventDefault();
    switcher.open();
    return;
  }
  if (
    event.altKey && !event.ctrlKey && !event.metaKey &&
    (event.key === "ArrowUp" || event.key === "ArrowDown")
  ) {
    event.preventDefault();
    switchBy(event.key === "ArrowUp" ? -1 : 1);
    return;
  }
  if (event.key === "Escape" && ui.app.dataset.drawer === "open") {
    closeDrawer();
    ui.menu.focus();
  }
});

ui.rejoin.addEventListener("click", () => {
  const name = state.current;
  state.rooms.delete(name);
  switchTo(name);
  ui.text.focus();
});
ui.closeRoom.addEventListener("click", () => {
  forget(state.current);
  ui.text.focus();
});

ui.scroller.addEventListener("click", (event) => {
  const opener = event.target.closest("button[data-menu]");
  if (opener) {
    const view = currentRoom();
    const id = Number(opener.dataset.menu);
    const message = view?.messages.find((candidate) => candidate.id === id);
    if (menu.open) menu.close(false);
    else if (message) messageMenu.open(opener, view, message);
    return;
  }
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const room = currentRoom();
  if (button.dataset.action === "discard") room.discard(button.dataset.nonce);
  else room.retry(button.dataset.nonce);
  messageList.pendingChanged();
  ui.text.focus();
});

ui.nameForm.addEventListener("submit", (event) => {
  const checked = checkName(ui.nameInput.value);
  if ("error" in checked) {
    event.preventDefault();
    ui.nameError.textContent = checked.error;
    ui.nameInput.setAttribute("aria-invalid", "true");
    return;
  }
  localStorage.setItem(NAME_KEY, checked.name);
  setMe(checked.name);
  rename(checked.name);
});
ui.nameDialog.addEventListener("close", () => {
  ui.text.focus();
  if (!localStorage.getItem(NAME_KEY) && !state.signedIn) {
    const name = state.me ? `“${state.me}”` : "a guest name";
    showNotice(
      `You are chatting as ${name}. Pick your own name any time with Change name.`,
    );
  }
});

addEventListener("hashchange", followHash);

addEventListener("online", showStatus);
addEventListener("offline", showStatus);

setInterval(() => messageList.updateTimes(), 30_000);

// ---- Start.

for (const name of [DEFAULT_ROOM, ...loadRooms()]) ensureRoom(name);
ui.meName.textContent = state.me || "Guest";
followHash();
showStatus();
ui.notify.setAttribute("aria-pressed", String(notifier.enabled));
if (!token && !state.me) openNameDialog();
else ui.text.focus();
