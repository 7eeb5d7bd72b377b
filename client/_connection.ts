/**
 * A client's connection across its sockets, as a state machine: `connecting`
 * until the handshake is done, `open`, `reconnecting` after a drop (with
 * back-off and jitter, or at once for an expired token), and `closed` for
 * good; a socket that stops answering is given up on.
 *
 * @module
 */
import { SYSTEM_CLOCK } from "./backoff.ts";
import { afterClose, GIVE_UP_CODE } from "./_close_codes.ts";
import { dial, type RoutedFrame } from "./_dial.ts";
import { ChatError, closedError } from "./errors.ts";
import type { EventHub } from "./_events.ts";
import type { Handshake } from "./_handshake.ts";
import { Liveness } from "./_liveness.ts";
import type {
  ChatClientOptions,
  ClientEvent,
  ConnectionState,
} from "./options.ts";
import { Reconnects } from "./_reconnects.ts";
import { SocketSet } from "./_sockets.ts";
import type { ClientFrame, ClientLimits } from "./types.ts";

/** What a {@linkcode Connection} needs from its client. */
export interface ConnectionHost {
  /** Signs each socket in and tells when it may be used. */
  readonly handshake: Handshake;
  /** The client's events: the connection reports its states and errors, and ends them on close. */
  readonly hub: EventHub<ClientEvent>;
  /** A frame that is not the greeting or the answer to a sign-in. */
  received(frame: RoutedFrame): void;
  /** Greeted and signed in: the connection may be used, within `limits`. */
  opened(limits: ClientLimits): void;
  /** The socket is gone: whatever waited on it fails with `error`. */
  dropped(error: ChatError): void;
  /** Checks the connection end to end; settles once the server answers. */
  ping(): Promise<unknown>;
  /** Closing for good: after the last drop, before the `closed` state. */
  closing(): void;
}

/** One client's connection; see `ChatClient`. */
export class Connection {
  #options: ChatClientOptions;
  #host: ConnectionHost;
  #handshake: Handshake;
  #state: ConnectionState = "connecting";
  #closed = false;
  #reconnects: Reconnects;
  #socket: WebSocket | undefined;
  #sockets: SocketSet;
  #liveness: Liveness;

  /**
   * @param url The server's WebSocket endpoint (`http:` and `https:` mean `ws:` and `wss:`).
   * @param options The client's options.
   * @param host The rest of the client.
   * @throws {TypeError} When `url` is not a URL.
   */
  constructor(
    url: string | URL,
    options: ChatClientOptions,
    host: ConnectionHost,
  ) {
    this.#sockets = new SocketSet(url);
    this.#options = options;
    const clock = options.clock ?? SYSTEM_CLOCK;
    this.#host = host;
    this.#handshake = host.handshake;
    this.#reconnects = new Reconnects(clock, options.backoff);
    this.#liveness = new Liveness({
      clock,
      connectTimeout: options.connectTimeout ?? 10_000,
      probeTimeout: options.probeTimeout ?? 5000,
      giveUp: (socket, reason) => this.#giveUp(socket, reason),
      ping: () => host.ping(),
    });
  }

  /** Where the connection stands. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Starts connecting, unless the client's signal has aborted already. */
  start(): void {
    const signal = this.#options.signal;
    signal?.addEventListener("abort", this.#abort, { once: true });
    globalThis.addEventListener?.("online", this.#online);
    if (signal?.aborted) this.close();
    else void this.#connect();
  }

  /**
   * Writes `frame` on the open socket.
   *
   * @returns `false` when there is none.
   */
  write(frame: ClientFrame): boolean {
    if (this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(JSON.stringify(frame));
    return true;
  }

  /** Reports an error no request is waiting for. */
  report(error: ChatError): void {
    this.#host.hub.emit({ type: "error", error });
  }

  /** Skips the rest of the back-off and tries to connect now. */
  reconnect(): void {
    if (this.#closed || !this.#reconnects.cancel()) return;
    void this.#connect();
  }

  /**
   * Closes the connection for good. Idempotent.
   *
   * @returns Resolves once every socket has closed.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#options.signal?.removeEventListener("abort", this.#abort);
      globalThis.removeEventListener?.("online", this.#online);
      this.#reconnects.cancel();
      const socket = this.#socket;
      this.#disconnect(closedError());
      socket?.close(1000, "Client closed");
      this.#host.closing();
      this.#setState("closed");
      this.#host.hub.end();
    }
    return this.#sockets.closed();
  }

  #abort = () => void this.close();

  /** The browser says it is back: test the socket it may have lost, or stop waiting. */
  #online = () => {
    if (this.#state !== "open") return this.reconnect();
    if (this.#socket) this.#liveness.probe(this.#socket);
  };

  async #connect(): Promise<void> {
    if (this.#reconnects.attempt === 0) this.#setState("connecting");
    let token: string | undefined;
    try {
      token = await this.#handshake.token();
    } catch (error) {
      if (this.#closed) return;
      this.report(
        new ChatError("unauthorized", "Cannot get a token", { cause: error }),
      );
      return this.#retry();
    }
    if (this.#closed) return;
    let socket: WebSocket;
    try {
      socket = dial(this.#sockets, {
        handshake: this.#handshake,
        token,
        inUse: (candidate) => this.#socket === candidate,
        ready: () => this.#opened(),
        frame: (frame) => this.#host.received(frame),
        closed: (code) => this.#closedBy(code),
      });
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
      this.report(error);
      return this.#retry();
    }
    this.#socket = socket;
    this.#liveness.opened(socket);
  }

  /** The current socket closed with `code`. */
  #closedBy(code: number): void {
    this.#disconnect(new ChatError("disconnected", "Connection lost"));
    const canRefresh = this.#options.token !== undefined;
    const { error, retry } = afterClose(code, canRefresh);
    if (error) this.report(error);
    if (retry === "never") return void this.close();
    this.#retry(retry === "now" ? 0 : undefined, code);
  }

  /** The socket in use is ready: open, unless it already was. */
  #opened(): void {
    if (this.#state === "open") return;
    this.#liveness.greeted();
    this.#reconnects.opened();
    this.#setState("open");
    this.#host.opened(this.#handshake.limits!);
  }

  /** Forgets the socket: whatever waited on it fails with `error`. */
  #disconnect(error: ChatError): void {
    this.#socket = undefined;
    this.#liveness.stop();
    this.#handshake.dropped();
    this.#host.dropped(error);
  }

  #retry(delay?: number, code?: number): void {
    if (this.#closed) return;
    delay = this.#reconnects.failed(delay);
    this.#setState("reconnecting", { delay, code });
    this.#reconnects.wait(delay, () => void this.#connect());
  }

  /** Drops a socket that stopped answering, without waiting for its close. */
  #giveUp(socket: WebSocket, reason: string): void {
    if (this.#socket !== socket) return;
    this.#disconnect(new ChatError("disconnected", reason));
    socket.close(GIVE_UP_CODE, reason);
    this.#retry(undefined, GIVE_UP_CODE);
  }

  #setState(
    state: ConnectionState,
    detail: { delay?: number; code?: number } = {},
  ): void {
    this.#state = state;
    this.#host.hub.emit({
      type: "state",
      state,
      attempt: this.#reconnects.attempt,
      ...detail,
    });
  }
}
