// The chat page: speaks the chat.v1 protocol (docs/protocol.md) to /ws.
// All user text is rendered with textContent, never as HTML.

const PROTOCOL = "chat.v1";
const ROOM = "general";
const NAME_KEY = "chat.name";
/** Messages kept in the DOM; older ones are dropped so long chats stay smooth. */
const MAX_RENDERED = 1000;
/** Message ids remembered for de-duplication. */
const MAX_SEEN_IDS = 5000;
/** Reconnect back-off: first delay, cap, and the random share of each delay. */
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 15_000;
/** Messages closer than this to the previous one from the same sender are grouped. */
const GROUP_WINDOW_MS = 5 * 60_000;

const $ = (id) => document.getElementById(id);
const list = $("messages");
const statusBox = $("status");
const statusText = $("status-text");
const notice = $("notice");
const composer = $("composer");
const textBox = $("text");
const nameForm = $("name-form");
const nameInput = $("name-input");
const jumpButton = $("jump");
const emptyState = $("empty");

const state = {
  socket: null,
  attempt: 0,
  user: localStorage.getItem(NAME_KEY) ?? "",
  limits: null,
  /** nonce → { text, element } for messages sent but not yet acknowledged. */
  pending: new Map(),
  /** Highest message id seen, to resume from after a reconnect. */
  lastId: 0,
  /** Ids of messages shown, so none is shown twice. */
  seen: new Set(),
  lastRendered: null,
};

nameInput.value = state.user;

function setStatus(kind, text) {
  statusBox.dataset.state = kind;
  statusText.textContent = text;
}

function showNotice(text) {
  notice.textContent = text;
  notice.hidden = !text;
}

function isNearBottom() {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
}

function scrollToBottom() {
  list.scrollTop = list.scrollHeight;
  jumpButton.hidden = true;
}

function colorFor(name) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return `hsl(${hash % 360} 55% 45%)`;
}

function initials(name) {
  const words = name.trim().split(/\s+/u).filter(Boolean);
  const letters = words.slice(0, 2).map((word) => [...word][0]);
  return (letters.join("") || "?").toUpperCase();
}

function formatTime(ts) {
  return new Date(ts).toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
  });
}

function dayLabel(ts) {
  return new Date(ts).toLocaleDateString([], {
    weekday: "long",
    month: "long",
    day: "numeric",
  });
}

function renderMessage(
  { user, text, ts },
  { own = false, pending = false } = {},
) {
  const previous = state.lastRendered;
  if (!previous || dayLabel(previous.ts) !== dayLabel(ts)) {
    const day = document.createElement("li");
    day.className = "day";
    day.textContent = dayLabel(ts);
    list.append(day);
  }
  const item = document.createElement("li");
  item.className = "message";
  if (own) item.classList.add("own");
  if (pending) item.classList.add("pending");
  const continued = previous && previous.user === user &&
    ts - previous.ts < GROUP_WINDOW_MS &&
    dayLabel(previous.ts) === dayLabel(ts);
  if (continued) item.classList.add("continued");

  const avatar = document.createElement("span");
  avatar.className = "avatar";
  avatar.setAttribute("aria-hidden", "true");
  avatar.style.background = colorFor(user);
  avatar.textContent = initials(user);

  const meta = document.createElement("div");
  meta.className = "meta";
  const author = document.createElement("span");
  author.className = "author";
  author.textContent = user;
  const time = document.createElement("time");
  time.className = "time";
  time.dateTime = new Date(ts).toISOString();
  time.textContent = formatTime(ts);
  meta.append(author, time);

  const body = document.createElement("p");
  body.className = "body";
  body.textContent = text;

  item.append(avatar, meta, body);
  const stick = isNearBottom();
  list.append(item);
  while (list.children.length > MAX_RENDERED) list.firstElementChild.remove();
  emptyState.hidden = true;
  state.lastRendered = { user, ts };
  if (stick || own) scrollToBottom();
  else jumpButton.hidden = false;
  return item;
}

function handleEvent(event) {
  switch (event.type) {
    case "hello":
      state.attempt = 0;
      state.limits = event.limits;
      state.user = event.user;
      if (!nameInput.value) nameInput.value = event.user;
      setStatus("open", "Connected");
      showNotice("");
      sendFrame(
        state.lastId
          ? { type: "join", room: ROOM, since: state.lastId }
          : { type: "join", room: ROOM },
      );
      break;
    case "joined":
      for (const message of event.messages) handleEvent(message);
      resendPending();
      break;
    case "message": {
      state.lastId = Math.max(state.lastId, event.id);
      if (!remember(event.id)) break;
      if (event.user === state.user) {
        const nonce = [...state.pending].find(([, entry]) =>
          entry.text === event.text
        )?.[0];
        if (nonce) {
          markDelivered(nonce);
          break;
        }
      }
      renderMessage(event, { own: event.user === state.user });
      break;
    }
    case "ack":
      remember(event.id);
      markDelivered(event.nonce);
      break;
    case "renamed":
      state.user = event.user;
      nameInput.value = event.user;
      localStorage.setItem(NAME_KEY, event.user);
      break;
    case "error": {
      showNotice(event.message);
      const entry = event.nonce && state.pending.get(event.nonce);
      if (entry && event.code !== "unavailable") {
        state.pending.delete(event.nonce);
        entry.element.classList.remove("pending");
        entry.element.classList.add("failed");
      }
      break;
    }
  }
}

/** Remembers a message id; returns false when it was already seen. */
function remember(id) {
  if (state.seen.has(id)) return false;
  state.seen.add(id);
  if (state.seen.size > MAX_SEEN_IDS) {
    state.seen.delete(state.seen.values().next().value);
  }
  return true;
}

function markDelivered(nonce) {
  const entry = state.pending.get(nonce);
  if (!entry) return;
  state.pending.delete(nonce);
  entry.element.classList.remove("pending");
}

function connect() {
  const url = new URL("/ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  if (state.user) url.searchParams.set("name", state.user);
  setStatus("connecting", state.attempt ? "Reconnecting…" : "Connecting…");
  const socket = new WebSocket(url, PROTOCOL);
  state.socket = socket;
  socket.onmessage = (message) => {
    const data = JSON.parse(message.data);
    for (const event of Array.isArray(data) ? data : [data]) handleEvent(event);
  };
  socket.onclose = (event) => {
    if (state.socket !== socket) return;
    state.socket = null;
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** state.attempt);
    const jittered = delay / 2 + Math.random() * delay / 2;
    state.attempt++;
    setStatus(
      "closed",
      `Disconnected${event.reason ? ` (${event.reason})` : ""}. Reconnecting…`,
    );
    setTimeout(connect, jittered);
  };
}

function sendFrame(frame) {
  if (state.socket?.readyState !== WebSocket.OPEN) return false;
  state.socket.send(JSON.stringify(frame));
  return true;
}

function resendPending() {
  for (const [nonce, entry] of state.pending) {
    sendFrame({ type: "send", room: ROOM, text: entry.text, nonce });
  }
}

function submitMessage() {
  const text = textBox.value;
  if (!text.trim()) return;
  const maxBytes = state.limits?.maxMessageBytes;
  if (maxBytes && new TextEncoder().encode(text).length > maxBytes) {
    showNotice(`Message is too long: at most ${maxBytes} bytes.`);
    return;
  }
  const nonce = crypto.randomUUID();
  const element = renderMessage({
    user: state.user || "you",
    text,
    ts: Date.now(),
  }, {
    own: true,
    pending: true,
  });
  state.pending.set(nonce, { text, element });
  sendFrame({ type: "send", room: ROOM, text, nonce });
  textBox.value = "";
  textBox.style.height = "";
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  submitMessage();
});

textBox.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submitMessage();
  }
});

textBox.addEventListener("input", () => {
  textBox.style.height = "";
  textBox.style.height = `${textBox.scrollHeight}px`;
});

nameForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  if (!name) return;
  localStorage.setItem(NAME_KEY, name);
  state.user = name;
  sendFrame({ type: "set_name", name });
});

list.addEventListener("scroll", () => {
  if (isNearBottom()) jumpButton.hidden = true;
});
jumpButton.addEventListener("click", scrollToBottom);

connect();
