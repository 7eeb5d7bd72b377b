// The header's word on the connection: the socket's state is the truth, and
// "Offline" only words a failed reconnect while the browser has no network.

/** What the header says in each of the client's states. */
const STATUS_TEXT = {
  connecting: "Connecting…",
  open: "Connected",
  reconnecting: "Reconnecting…",
  closed: "Disconnected",
};

/**
 * Shows the connection's state in the header.
 * @param {{ status: HTMLElement, statusText: HTMLElement }} parts
 * @param {"connecting" | "open" | "reconnecting" | "closed"} state the client's
 */
export function showConnection(parts, state) {
  parts.status.dataset.state = state;
  parts.statusText.textContent = state === "reconnecting" && !navigator.onLine
    ? "Offline"
    : STATUS_TEXT[state];
}
