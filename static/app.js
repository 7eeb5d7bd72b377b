// The chat page: speaks chat.v1 (docs/protocol.md) to /ws. Rooms live in the
// URL (/#/room), history is paged from the server, and after a reconnect each
// room is re-joined with `since` and its epoch so every message shows exactly
// once; a room whose history the server lost (a new epoch) starts over.
// All user text is rendered with textContent, never as HTML.

import { Connection } from "./connection.js";
import {
  checkName,
  directRoom,
  directRoomUsers,
  hueFor,
  initials,
  normalizeRoom,
  utf8Length,
} from "./format.js";
import { MessageList } from "./message_list.js";
import { loadConfig, SignIn } from "./sign_in.js";

const NAME_KEY = "chat.name";
const ROOMS_KEY = "chat.rooms";
/** What direct rooms are called here: `@` and the other user's name, by room. */
const LABELS_KEY = "chat.room-labels";
/** Messages kept in memory per room; older ones are paged in again on demand. */
const MAX_MESSAGES = 20_000;
/** Older messages asked for per `history` request. */
const HISTORY_PAGE = 50;
/** Delay before re-sending a message the server could not store (`unavailable`). */
const UNAVAILABLE_RETRY_MS = 2000;
/** Shown until `hello` says otherwise. */
const DEFAULT_LIMITS = { maxMessageBytes: 4096, historyLimit: 100 };

const $ = (id) => document.getElementById(id);
const ui = {
  app: $("app"),
  sidebar: $("sidebar"),
  scrim: $("scrim"),
  menu: $("menu"),
  rooms: $("rooms"),
  joinForm: $("join-form"),
  joinInput: $("join-input"),
  joinHint: $("join-hint"),
  members: $("members"),
  memberCount: $("member-count"),
  headerMembers: $("header-members"),
  meAvatar: $("me-avatar"),
  meName: $("me-name"),
  meStatus: $("me-status"),
  rename: $("rename"),
  roomName: $("room-name"),
  leave: $("leave"),
  status: $("status"),
  statusText: $("status-text"),
  scroller: $("scroller"),
  notice: $("notice"),
  noticeText: $("notice-text"),
  noticeClose: $("notice-close"),
  composer: $("composer"),
  composerLabel: $("composer-label"),
  text: $("text"),
  counter: $("counter"),
  nameDialog: $("name-dialog"),
  nameForm: $("name-form"),
  nameInput: $("name-input"),
  nameError: $("name-error"),
  nameCancel: $("name-cancel"),
  emptyRoom: $("empty-room"),
  loadOlder: $("load-older"),
};

/**
 * @typedef {{ type: "message", id: number, room: string, ts: number, user: string, userId?: string, guest?: true, text: string }} Message
 * @typedef {{ id: string, name: string, guest?: true }} Member
 * @typedef {{ text: string, ts: number, user: string, sent: boolean, error?: string, id?: number }} Pending
 * @typedef {{ name: string, joined: boolean, joining: boolean, messages: Message[], ids: Set<number>, lastId: number, epoch: string, resumedFrom: number, hasMore: boolean, loadingOlder: boolean, members: Member[], memberCount: number, unread: number, pending: Map<string, Pending> }} Room
 */

const state = {
  me: localStorage.getItem(NAME_KEY) ?? "",
  /** Our user id, from `hello` and `authenticated`. */
  myId: "",
  /** Whether a token signed us in (otherwise we are a guest). */
  signedIn: false,
  /** @type {Record<string, string>} labels of direct rooms */
  labels: readLabels(),
  limits: DEFAULT_LIMITS,
  defaultRoom: "general",
  /** @type {Map<string, Room>} */
  rooms: new Map(),
  current: "general",
  /** A server without rooms (no `join`): everything is in the default room. */
  legacy: false,
  connected: false,
};

function createRoom(name) {
  return {
    name,
    joined: false,
    joining: false,
    messages: [],
    ids: new Set(),
    lastId: 0,
    /** The epoch the room's ids belong to, from `joined` or `reset`. */
    epoch: "",
    /** The `since` of the last join sent, 0 for none. */
    resumedFrom: 0,
    hasMore: false,
    loadingOlder: false,
    members: [],
    memberCount: 0,
    unread: 0,
    pending: new Map(),
  };
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
  onNeedOlder: requestOlder,
});

const connection = new Connection({
  url() {
    const url = new URL("/ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    if (state.me && !signIn.usesTokens) url.searchParams.set("name", state.me);
    return url;
  },
  onEvent: handleEvent,
  onState: setConnectionState,
});

// ---- Rendering is batched: state changes mark what is dirty, one frame paints.

const dirty = { list: false, rooms: false, members: false, pending: false };
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
  dirty.list =
    dirty.rooms =
    dirty.members =
    dirty.pending =
      false;
}

// ---- Protocol events.

function handleEvent(event) {
  switch (event.type) {
    case "hello":
      return onHello(event);
    case "joined":
      return onJoined(event);
    case "left":
      return onLeft(event.room);
    case "message":
      return onMessage(event);
    case "ack":
      return onAck(event);
    case "history":
      return onHistory(event);
    case "presence":
      return onPresence(event);
    case "reset":
      return onReset(event);
    case "authenticated":
      return onAuthenticated(event);
    case "renamed":
      return setMe(event.user);
    case "error":
      return onError(event);
  }
}

function onHello(event) {
  connection.resetBackoff();
  state.connected = true;
  state.limits = { ...DEFAULT_LIMITS, ...event.limits };
  state.defaultRoom = event.defaultRoom ?? event.room ?? state.defaultRoom;
  state.legacy = false;
  state.myId = event.userId ?? "";
  if (!signIn.usesTokens) setMe(event.user, { remember: false });
  connection.send({ type: "auth", ...signIn.credential(), nonce: "sign-in" });
  for (const room of state.rooms.values()) {
    room.joined = false;
    sendJoin(room);
  }
}

/** Whether a message (or a pending one, which has no user id) is ours. */
function isOwn(message) {
  return message.userId
    ? message.userId === state.myId
    : message.user === state.me;
}

/** Orders members as the server lists them: by name, then id. */
function byName(a, b) {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function onAuthenticated(event) {
  state.myId = event.user.id;
  state.signedIn = !event.user.guest;
  if (state.signedIn) setMe(event.user.name, { remember: false });
  ui.rename.hidden = state.signedIn;
  ui.meStatus.textContent = state.signedIn ? "Signed in" : "Guest";
  signIn.renewBefore(
    event.expiresAt,
    (credential) => connection.send({ type: "auth", ...credential }),
  );
  schedule("members");
}

function sendJoin(room) {
  room.joining = true;
  const frame = { type: "join", room: room.name, nonce: `join:${room.name}` };
  room.resumedFrom = room.lastId;
  if (room.lastId > 0) {
    frame.since = room.lastId;
    if (room.epoch) frame.epoch = room.epoch;
  }
  connection.send(frame);
}

/** Forgets a room's messages: what the server sends next replaces them. */
function clearMessages(room) {
  room.messages = [];
  room.ids.clear();
  room.lastId = 0;
  if (room.name === state.current) messageList.show(room);
}

function onJoined(event) {
  const room = state.rooms.get(event.room);
  if (!room) {
    connection.send({ type: "leave", room: event.room });
    return;
  }
  // Under another epoch our ids mean nothing; a resume capped at the history
  // limit leaves a gap between what we have and the page. Either way, start
  // over from the page and page back from there.
  const lost = room.resumedFrom > 0 && room.epoch !== "" &&
    typeof event.epoch === "string" && event.epoch !== room.epoch;
  if (lost || (room.resumedFrom > 0 && event.hasMore)) clearMessages(room);
  if (typeof event.epoch === "string") room.epoch = event.epoch;
  const first = room.messages.length === 0;
  room.joined = true;
  room.joining = false;
  room.members = [...event.members];
  room.memberCount = event.memberCount ?? room.members.length;
  if (first) room.hasMore = Boolean(event.hasMore);
  const live = !first && room.name !== state.current;
  for (const message of event.messages ?? []) addMessage(room, message, live);
  if (lost) {
    showNotice(
      `The server lost the history of #${room.name}; it starts again.`,
    );
  } else if (event.truncated) {
    showNotice(
      `Some messages in #${room.name} were removed before you reconnected.`,
    );
  }
  markJoined(room);
}

/** The room's history was lost on the server: its messages follow anew. */
function onReset(event) {
  const room = state.rooms.get(event.room);
  if (!room || typeof event.epoch !== "string") return;
  clearMessages(room);
  room.epoch = event.epoch;
  room.hasMore = false;
  room.loadingOlder = false;
  schedule("list");
  showNotice(`The server lost the history of #${room.name}; it starts again.`);
}

function markJoined(room) {
  room.joined = true;
  room.joining = false;
  sendPending(room);
  schedule("list", "rooms", "members");
}

function onLeft(name) {
  if (!state.rooms.delete(name)) return;
  saveRooms();
  if (state.current === name) navigate(state.defaultRoom, { replace: true });
  schedule("rooms");
}

function onMessage(event) {
  const room = state.rooms.get(event.room ?? state.defaultRoom);
  if (!room) return;
  if (isOwn(event)) {
    // Our own message may arrive before its ack: settle the pending copy now.
    for (const [nonce, entry] of room.pending) {
      if (entry.sent && !entry.error && entry.text === event.text) {
        room.pending.delete(nonce);
        schedule("pending");
        break;
      }
    }
  }
  addMessage(room, event, true);
}

/**
 * Stores a message once (by id) in id order.
 * @param {Room} room
 * @param {Message} message
 * @param {boolean} live counts towards unread when the room is not in view
 */
function addMessage(room, message, live) {
  if (room.ids.has(message.id)) return;
  room.ids.add(message.id);
  const messages = room.messages;
  if (
    state.legacy || messages.length === 0 || messages.at(-1).id < message.id
  ) {
    messages.push(message);
  } else {
    let i = messages.length - 1;
    while (i > 0 && messages[i - 1].id > message.id) i--;
    messages.splice(i, 0, message);
  }
  room.lastId = Math.max(room.lastId, message.id);
  if (messages.length > MAX_MESSAGES) {
    for (const dropped of messages.splice(0, messages.length - MAX_MESSAGES)) {
      room.ids.delete(dropped.id);
    }
    room.hasMore = true;
  }
  if (room.name === state.current) {
    schedule("list");
  } else if (live && message.user !== state.me) {
    room.unread++;
    schedule("rooms");
  }
}

function onAck(event) {
  const room = state.rooms.get(event.room ?? state.defaultRoom);
  if (!room) return;
  const entry = room.pending.get(event.nonce);
  room.pending.delete(event.nonce);
  if (entry) {
    addMessage(room, {
      type: "message",
      id: event.id,
      room: room.name,
      ts: event.ts,
      user: entry.user,
      text: entry.text,
    }, false);
  }
  schedule("pending");
}

function onHistory(event) {
  const room = state.rooms.get(event.room);
  if (!room) return;
  room.loadingOlder = false;
  // Read before a reset: its ids are of the lost history.
  if (typeof event.epoch === "string" && event.epoch !== room.epoch) return;
  room.hasMore = Boolean(event.hasMore);
  for (const message of event.messages ?? []) addMessage(room, message, false);
  if (room.name === state.current) {
    messageList.refresh();
    messageList.olderLoaded();
  }
}

function onPresence(event) {
  const room = state.rooms.get(event.room);
  if (!room) return;
  // A large room sends its member count instead of names.
  if (typeof event.memberCount === "number") {
    room.memberCount = event.memberCount;
    if (room.name === state.current) schedule("members");
    return;
  }
  const members = new Map(room.members.map((member) => [member.id, member]));
  // In a large room the list is partial (`memberCount` has the total): a
  // user who leaves may never have been listed. A `joined` entry for a user
  // already listed is their new name.
  for (const member of event.left ?? []) {
    members.delete(member.id);
    room.memberCount--;
  }
  for (const member of event.joined ?? []) {
    if (!members.has(member.id)) room.memberCount++;
    members.set(member.id, member);
  }
  room.memberCount = Math.max(room.memberCount, members.size);
  room.members = [...members.values()].sort(byName);
  if (room.name === state.current) schedule("members");
}

const ERROR_TEXT = {
  "rate_limited": "You are sending messages too fast. Wait a moment and retry.",
  "message_too_large": "This message is too long.",
  "invalid_room":
    "Room names are 1 to 64 letters, digits, “-” or “_”, without spaces.",
  "too_many_rooms": "You are in too many rooms. Leave one first.",
  "invalid_name": "That name cannot be used.",
  "unavailable": "The server is busy. Your message will be sent again shortly.",
  "unauthorized": "You could not be signed in.",
  "token_expired": "Your sign-in expired; signing in again.",
  "auth_required": "Sign in to chat here.",
  "read_only": "Guests may only read here. Sign in to send messages.",
  "forbidden": "You cannot use this room.",
  "name_taken": "Someone signed in here uses that name. Pick another.",
  "too_many_connections": "You have too many chat tabs open.",
};

function onError(event) {
  const nonce = typeof event.nonce === "string" ? event.nonce : "";
  if (nonce === "sign-in") {
    // A stale token: fetch a fresh one for the next connection; the server
    // keeps this one as a guest, or closes it where guests are off.
    signIn.refresh();
  }
  const reason = ERROR_TEXT[event.code] ?? event.message ?? "Request failed.";
  if (nonce.startsWith("join:")) return onJoinError(nonce.slice(5), event);
  if (event.code === "invalid_name" && ui.nameDialog.open) {
    ui.nameError.textContent = event.message ?? reason;
    ui.nameInput.setAttribute("aria-invalid", "true");
    return;
  }
  for (const room of state.rooms.values()) {
    const entry = nonce && room.pending.get(nonce);
    if (!entry) continue;
    if (event.code === "unavailable") {
      entry.sent = false;
      setTimeout(() => sendPending(room), UNAVAILABLE_RETRY_MS);
    } else if (event.code === "not_joined") {
      entry.sent = false;
      if (!room.joining) sendJoin(room);
    } else {
      entry.error = reason.replace(/\.$/, "");
    }
    schedule("pending");
  }
  showNotice(reason, event.message);
}

function onJoinError(name, event) {
  const room = state.rooms.get(name);
  if (!room) return;
  room.joining = false;
  if (event.code === "already_joined") return markJoined(room);
  if (event.code === "bad_request" && name === state.defaultRoom) {
    // A server that predates rooms puts everyone in the default room.
    state.legacy = true;
    room.ids.clear();
    room.lastId = 0;
    return markJoined(room);
  }
  if (event.code === "unavailable") {
    setTimeout(() => state.connected && sendJoin(room), UNAVAILABLE_RETRY_MS);
    return;
  }
  showNotice(
    `Cannot join #${name}: ${ERROR_TEXT[event.code] ?? event.message}`,
  );
  if (name !== state.defaultRoom) {
    state.rooms.delete(name);
    saveRooms();
    if (state.current === name) navigate(state.defaultRoom, { replace: true });
    schedule("rooms");
  }
}

// ---- Sending.

function sendPending(room) {
  if (!room.joined) return;
  for (const [nonce, entry] of room.pending) {
    if (entry.error) continue;
    entry.sent = connection.send({
      type: "send",
      room: room.name,
      text: entry.text,
      nonce,
    });
  }
  schedule("pending");
}

function submitMessage() {
  const text = ui.text.value;
  if (!text.trim()) return;
  const room = currentRoom();
  const max = state.limits.maxMessageBytes;
  if (utf8Length(text) > max) {
    showNotice(`This message is too long: at most ${max} bytes (UTF-8).`);
    return;
  }
  const nonce = crypto.randomUUID();
  room.pending.set(nonce, {
    text,
    ts: Date.now(),
    user: state.me || "You",
    sent: false,
  });
  ui.text.value = "";
  resizeComposer();
  updateCounter();
  hideNotice();
  sendPending(room);
  messageList.pendingChanged();
  messageList.jumpToLatest();
}

function requestOlder(room) {
  if (room.loadingOlder || !room.hasMore || state.legacy) return;
  const before = room.messages[0]?.id;
  const frame = { type: "history", room: room.name, limit: HISTORY_PAGE };
  if (before !== undefined) frame.before = before;
  if (connection.send(frame)) room.loadingOlder = true;
}

// ---- Rooms and navigation.

function roomFromHash() {
  const match = location.hash.match(/^#\/(.+)$/);
  if (!match) return null;
  try {
    return normalizeRoom(decodeURIComponent(match[1]));
  } catch {
    return null;
  }
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

function readLabels() {
  try {
    const labels = JSON.parse(localStorage.getItem(LABELS_KEY) ?? "{}");
    return labels && typeof labels === "object" ? labels : {};
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
  let room = state.rooms.get(name);
  if (!room) {
    room = createRoom(name);
    state.rooms.set(name, room);
    saveRooms();
    if (state.connected) sendJoin(room);
    schedule("rooms");
  }
  return room;
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
  const label = labelFor(name);
  document.title = `${label} · Chat`;
  ui.roomName.textContent = label.slice(1);
  ui.emptyRoom.textContent = label;
  ui.composerLabel.textContent = `Message ${label}`;
  ui.text.placeholder = `Message ${label}`;
  ui.scroller.setAttribute("aria-label", `Messages in ${label}`);
  ui.leave.setAttribute("aria-label", `Leave ${label}`);
  messageList.show(room);
  renderRooms();
  renderMembers();
  closeDrawer();
}

function leaveCurrent() {
  const name = state.current;
  const room = currentRoom();
  if (room?.joined) connection.send({ type: "leave", room: name });
  // Leave locally at once; the server's `left` only confirms it.
  onLeft(name);
  if (state.rooms.size === 0) navigate(state.defaultRoom, { replace: true });
  else if (!state.rooms.has(state.current)) {
    navigate(state.rooms.keys().next().value, { replace: true });
  }
  ui.text.focus();
}

function renderRooms() {
  const items = [];
  for (const room of state.rooms.values()) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = hashFor(room.name);
    link.className = "room-link";
    if (room.name === state.current) link.setAttribute("aria-current", "page");
    const hash = document.createElement("span");
    hash.className = "hash";
    hash.setAttribute("aria-hidden", "true");
    const name = labelFor(room.name);
    hash.textContent = name[0];
    const label = document.createElement("span");
    label.className = "room-label";
    label.textContent = name.slice(1);
    link.append(hash, label);
    if (room.unread > 0 && room.name !== state.current) {
      link.classList.add("has-unread");
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = room.unread > 99 ? "99+" : String(room.unread);
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = ` unread message${room.unread === 1 ? "" : "s"}`;
      badge.append(hidden);
      link.append(badge);
    }
    item.append(link);
    items.push(item);
  }
  ui.rooms.replaceChildren(...items);
  const unread = [...state.rooms.values()].reduce(
    (sum, room) => sum + (room.name === state.current ? 0 : room.unread),
    0,
  );
  ui.menu.dataset.unread = unread > 0 ? String(unread) : "";
}

function renderMembers() {
  const room = currentRoom();
  const members = room?.members ?? [];
  const items = members.map((member) => {
    const item = document.createElement("li");
    item.className = "member";
    item.append(avatarFor(member.name));
    const label = document.createElement("span");
    label.className = "member-name";
    label.textContent = member.name;
    item.append(label);
    if (member.guest) {
      const guest = document.createElement("span");
      guest.className = "guest";
      guest.textContent = "guest";
      item.append(guest);
    }
    if (member.id === state.myId) {
      const you = document.createElement("span");
      you.className = "you";
      you.textContent = "you";
      item.append(you);
    } else if (state.signedIn && !member.guest) {
      const message = document.createElement("button");
      message.type = "button";
      message.className = "ghost message-member";
      message.textContent = "Message";
      message.setAttribute("aria-label", `Message ${member.name} directly`);
      message.addEventListener("click", () => messageDirectly(member));
      item.append(message);
    }
    return item;
  });
  ui.members.replaceChildren(...items);
  const count = Math.max(room?.memberCount ?? 0, members.length);
  ui.memberCount.textContent = String(count);
  ui.headerMembers.textContent = state.legacy
    ? ""
    : `${count} member${count === 1 ? "" : "s"}`;
}

function avatarFor(name) {
  const avatar = document.createElement("span");
  avatar.className = "avatar";
  avatar.setAttribute("aria-hidden", "true");
  avatar.style.setProperty("--hue", String(hueFor(name)));
  avatar.textContent = initials(name);
  return avatar;
}

// ---- Name, status and notices.

function setMe(name, { remember = true } = {}) {
  const changed = name !== state.me;
  state.me = name;
  if (remember) localStorage.setItem(NAME_KEY, name);
  ui.meName.textContent = name;
  ui.meAvatar.replaceWith(ui.meAvatar = avatarFor(name));
  ui.meAvatar.id = "me-avatar";
  if (changed) messageList.show(currentRoom());
  schedule("members");
}

function setConnectionState(kind) {
  state.connected = kind === "open";
  if (!state.connected) {
    for (const room of state.rooms.values()) {
      room.joined = false;
      room.loadingOlder = false;
      for (const entry of room.pending.values()) entry.sent = false;
    }
    schedule("pending");
  }
  const text = {
    connecting: "Connecting…",
    open: "Connected",
    reconnecting: "Reconnecting…",
    offline: "Offline",
  }[kind];
  ui.status.dataset.state = kind;
  ui.statusText.textContent = text;
}

function showNotice(text, detail) {
  ui.noticeText.textContent = text;
  ui.notice.title = detail ?? "";
  ui.notice.hidden = false;
}

function hideNotice() {
  ui.notice.hidden = true;
}

function openNameDialog() {
  ui.nameInput.value = state.me;
  ui.nameError.textContent = "";
  ui.nameInput.removeAttribute("aria-invalid");
  ui.nameCancel.hidden = !localStorage.getItem(NAME_KEY);
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

function resizeComposer() {
  ui.text.style.height = "auto";
  ui.text.style.height = `${ui.text.scrollHeight}px`;
}

function updateCounter() {
  const max = state.limits.maxMessageBytes;
  const used = utf8Length(ui.text.value);
  ui.counter.hidden = used < max * 0.8;
  ui.counter.textContent = `${used} / ${max}`;
  ui.counter.dataset.over = used > max ? "true" : "false";
}

// ---- Wiring.

ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  submitMessage();
});
ui.text.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submitMessage();
  }
});
ui.text.addEventListener("input", () => {
  resizeComposer();
  updateCounter();
});

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

ui.rooms.addEventListener("click", (event) => {
  if (event.target.closest("a")) closeDrawer();
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
ui.headerMembers.addEventListener("click", openDrawer);
ui.scrim.addEventListener("click", closeDrawer);
ui.loadOlder.addEventListener("click", () => {
  const room = currentRoom();
  if (room) requestOlder(room);
  messageList.refresh();
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && ui.app.dataset.drawer === "open") {
    closeDrawer();
    ui.menu.focus();
  }
});

ui.scroller.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const room = currentRoom();
  const entry = room.pending.get(button.dataset.nonce);
  if (!entry) return;
  if (button.dataset.action === "discard") {
    room.pending.delete(button.dataset.nonce);
  } else {
    delete entry.error;
    sendPending(room);
  }
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
  connection.send({ type: "set_name", name: checked.name });
});
ui.nameDialog.addEventListener("close", () => ui.text.focus());

addEventListener("hashchange", () => {
  const name = roomFromHash();
  if (name) switchTo(name);
  else navigate(state.current, { replace: true });
});

setInterval(() => messageList.updateTimes(), 30_000);

// ---- Start.

const signIn = new SignIn(await loadConfig());
const signedIn = await signIn.refresh();
for (const name of ["general", ...loadRooms()]) ensureRoom(name);
ui.meName.textContent = state.me || "Guest";
ui.meStatus.textContent = signedIn ? "Signed in" : "Guest";
ui.rename.hidden = signedIn;
navigate(roomFromHash() ?? "general", { replace: true });
connection.connect();
if (!state.me && !signedIn) openNameDialog();
else ui.text.focus();
