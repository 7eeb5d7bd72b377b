// A WebSocket to /ws that speaks chat.v1 and reconnects by itself with
// exponential back-off and jitter. Server frames may be one event or an array
// of events (docs/protocol.md "JSON (chat.v1)"); handlers get single events.

import { backoffDelay } from "./format.js";

const PROTOCOL = "chat.v1";

/**
 * @typedef {object} ConnectionHandlers
 * @property {() => URL} url Where to connect; read before every attempt.
 * @property {(event: any) => void} onEvent One server event.
 * @property {(state: "connecting" | "open" | "reconnecting" | "offline", detail?: { delay?: number, attempt?: number }) => void} onState
 */

export class Connection {
  /** @type {WebSocket | null} */
  #socket = null;
  #attempt = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;
  /** @type {ConnectionHandlers} */
  #handlers;

  /** @param {ConnectionHandlers} handlers */
  constructor(handlers) {
    this.#handlers = handlers;
    addEventListener("online", () => this.reconnectNow());
    addEventListener("offline", () => this.#handlers.onState("offline"));
  }

  /** Whether frames can be sent now. */
  get isOpen() {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Opens the socket unless one is open or opening. */
  connect() {
    clearTimeout(this.#timer);
    if (this.#socket) return;
    this.#handlers.onState(this.#attempt === 0 ? "connecting" : "reconnecting");
    const socket = new WebSocket(this.#handlers.url(), PROTOCOL);
    this.#socket = socket;
    socket.onmessage = (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      for (const event of Array.isArray(data) ? data : [data]) {
        if (event && typeof event.type === "string") {
          this.#handlers.onEvent(event);
        }
      }
    };
    socket.onclose = () => this.#closed(socket);
  }

  /** Skips the remaining back-off and tries again at once. */
  reconnectNow() {
    if (this.#socket) return;
    this.#attempt = Math.min(this.#attempt, 1);
    this.connect();
  }

  /** Called once the server greeted us: the next drop starts from a short delay. */
  resetBackoff() {
    this.#attempt = 0;
    this.#handlers.onState("open");
  }

  /**
   * Sends one request; returns false when the socket is not open.
   * @param {object} frame
   */
  send(frame) {
    if (!this.isOpen) return false;
    this.#socket.send(JSON.stringify(frame));
    return true;
  }

  /** @param {WebSocket} socket */
  #closed(socket) {
    if (this.#socket !== socket) return;
    this.#socket = null;
    const delay = backoffDelay(this.#attempt);
    this.#attempt++;
    this.#handlers.onState(navigator.onLine ? "reconnecting" : "offline", {
      delay,
      attempt: this.#attempt,
    });
    this.#timer = setTimeout(() => this.connect(), delay);
  }
}
