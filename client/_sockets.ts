/**
 * The sockets of one client to its server: each opened with the `chat.v1`
 * subprotocol and the display name the server should use,
 * its text frames read into events, and every one tracked until its
 * `close` event, so that closing the client can wait for the last.
 *
 * @module
 */
import { type Deferred, deferred } from "./_events.ts";
import { readServerFrame } from "./_frames.ts";
import { PROTOCOL, type ServerFrame } from "./types.ts";

/** What one socket reports. */
export interface SocketHandlers {
  /** The socket opened. */
  open(): void;
  /** An event arrived, well-formed and of a known type. */
  frame(frame: ServerFrame): void;
  /** The socket closed (a failed connection too) with `code`. */
  closed(code: number): void;
}

/** One client's sockets, open or closing. */
export class SocketSet {
  #url: URL;
  #closes = new Map<WebSocket, Deferred<void>>();

  /**
   * @param url The server's WebSocket endpoint (`http:` and `https:` mean `ws:` and `wss:`).
   * @throws {TypeError} When `url` is not a URL.
   */
  constructor(url: string | URL) {
    this.#url = new URL(url);
    this.#url.protocol = this.#url.protocol.replace(/^http/, "ws");
    // A WebSocket URL may not have a fragment.
    this.#url.hash = "";
  }

  /**
   * Opens a socket.
   *
   * @param name The display name to ask for, if any.
   * @param handlers Where the socket's events go.
   * @returns The socket, connecting.
   * @throws {DOMException} When the runtime refuses to open it (a page may
   *   not open an insecure `ws:` from an `https:` one).
   */
  open(name: string | undefined, handlers: SocketHandlers): WebSocket {
    const url = new URL(this.#url);
    if (name !== undefined) url.searchParams.set("name", name);
    const socket = new WebSocket(url, PROTOCOL);
    const closed = deferred<void>();
    this.#closes.set(socket, closed);
    socket.onopen = () => handlers.open();
    socket.onmessage = (message) => {
      for (const frame of readServerFrame(String(message.data))) {
        handlers.frame(frame);
      }
    };
    // A failed connection is followed by `close`, which handles it.
    socket.onerror = () => {};
    socket.onclose = (event) => {
      this.#closes.delete(socket);
      closed.resolve();
      handlers.closed(event.code);
    };
    return socket;
  }

  /** Resolves once every socket opened so far has closed. */
  closed(): Promise<void> {
    return Promise.all([...this.#closes.values()].map((done) => done.promise))
      .then(() => {});
  }
}
