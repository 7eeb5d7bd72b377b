/**
 * `ChatClient`: one `chat.v1` connection that reconnects by itself, signs in
 * with a token it refreshes, paces its requests to the server's limits and
 * keeps its rooms.
 *
 * @module
 */
import { backoffDelay, type Clock, SYSTEM_CLOCK } from "./backoff.ts";
import { ChatError, closedError } from "./errors.ts";
import { type Deferred, deferred, EventHub } from "./_events.ts";
import { readServerFrame } from "./_frames.ts";
import { MemoryOutbox, type Outbox } from "./outbox.ts";
import type {
  ChatClientOptions,
  ClientEvent,
  ConnectionState,
  JoinOptions,
} from "./options.ts";
import { PacedWriter } from "./_paced.ts";
import { RoomChannel } from "./_room.ts";
import type { Room } from "./room.ts";
import { TokenKeeper } from "./_token.ts";
import {
  type AuthenticatedUser,
  type ClientFrame,
  type ClientLimits,
  type Moderated,
  PROTOCOL,
  type RoomInfo,
  type ServerFrame,
} from "./types.ts";

/** Prefix of a direct room's name, whose user ids keep their case. */
const DIRECT_ROOM_PREFIX = "dm:";
/** The close code the client uses when it gives up on a silent socket. */
const GIVE_UP_CODE = 4000;
/** The server's close code when the host application ended the user's connections. */
const SIGNED_OUT_CODE = 4410;

/** A request waiting for its reply: its kind, for replies that carry no nonce. */
interface PendingRequest {
  kind: string;
  reply: Deferred<ServerFrame>;
}

/**
 * A `chat.v1` client: connects (and reconnects, with exponential back-off and
 * jitter), joins rooms and resumes each after every reconnect so each
 * message arrives once and in order, and sends through an outbox that
 * re-sends with the same nonce until the server stores each message.
 *
 * @example Two clients chat through a server
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHandler } from "../main.ts";
 * import { ChatClient } from "./client.ts";
 *
 * await using chat = createHandler();
 * await using server = Deno.serve({ port: 0, onListen() {} }, chat);
 * const url = `ws://localhost:${server.addr.port}/ws`;
 * await using ada = new ChatClient(url, { name: "Ada" });
 * await using grace = new ChatClient(url, { name: "Grace" });
 * // Iterators see events from when they are made: make one before awaiting.
 * const inbox = grace.join("general").events();
 * const ack = await ada.join("general").send("Hello, Grace");
 * for await (const event of inbox) {
 *   if (event.type !== "message") continue;
 *   assert.equal(event.id, ack.id);
 *   assert.equal(event.text, "Hello, Grace");
 *   break;
 * }
 * ```
 */
export class ChatClient implements Disposable, AsyncDisposable {
  #url: URL;
  #options: ChatClientOptions;
  #clock: Clock;
  #outbox: Outbox;
  #hub = new EventHub<ClientEvent>();
  #rooms = new Map<string, RoomChannel>();
  #state: ConnectionState = "connecting";
  #closed = false;
  #attempt = 0;
  #retryTimer: unknown;
  #socket: WebSocket | undefined;
  /** Every socket until its `close` event, so `close()` can wait for them. */
  #sockets = new Map<WebSocket, Deferred<void>>();
  #connectTimer: unknown;
  #probeTimer: unknown;
  #greeted = false;
  #user: string | undefined;
  #limits: ClientLimits | undefined;
  #paced: PacedWriter;
  #requests = new Map<string, PendingRequest>();
  #nonces = 0;
  #token: TokenKeeper;

  /**
   * Creates the client and starts connecting.
   *
   * @param url The server's WebSocket endpoint (`ws:`, `wss:`, or `http:`
   * and `https:`, which mean the same).
   * @param options Name, token, outbox, schedule and clock.
   * @throws {TypeError} When `url` is not a URL.
   */
  constructor(url: string | URL, options: ChatClientOptions = {}) {
    this.#url = new URL(url);
    this.#url.protocol = this.#url.protocol.replace(/^http/, "ws");
    // A WebSocket URL may not have a fragment.
    this.#url.hash = "";
    this.#options = options;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#outbox = options.outbox ?? new MemoryOutbox();
    this.#user = options.name;
    this.#paced = new PacedWriter(this.#clock, (frame) => this.#write(frame));
    this.#token = new TokenKeeper({
      provider: options.token,
      guestKey: options.guestKey ?? crypto.randomUUID(),
      clock: this.#clock,
      refreshAhead: options.refreshAhead ?? 60_000,
      write: (frame) => this.#write(frame),
      report: (error) => this.#report(error),
    });
    options.signal?.addEventListener("abort", this.#abort, { once: true });
    globalThis.addEventListener?.("online", this.#online);
    if (options.signal?.aborted) this.close();
    else void this.#connect();
  }

  /** Where the connection stands. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The display name the server knows the client by, once greeted. */
  get user(): string | undefined {
    return this.#user;
  }

  /** The signed-in user, when a token was accepted. */
  get identity(): AuthenticatedUser | undefined {
    return this.#token.identity;
  }

  /** The server's limits from its last `hello`. */
  get limits(): ClientLimits | undefined {
    return this.#limits;
  }

  /** The rooms joined and not left. */
  get rooms(): readonly Room[] {
    return [...this.#rooms.values()];
  }

  /**
   * Calls `listener` with each event of `type` from now on.
   *
   * @param type `state`, `user` or `error`.
   * @param listener Called with the event.
   * @returns A function that removes the listener.
   */
  on<T extends ClientEvent["type"]>(
    type: T,
    listener: (event: Extract<ClientEvent, { type: T }>) => void,
  ): () => void {
    return this.#hub.on(type, listener);
  }

  /**
   * The client's events from now on, until it closes or `signal` aborts.
   *
   * @param options An abort signal.
   * @returns An async iterator of {@linkcode ClientEvent}s.
   */
  events(
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<ClientEvent, void, undefined> {
    return this.#hub.iterate(options);
  }

  /**
   * Joins a room, now or as soon as the connection is open, and again
   * after every reconnect. Joining a room twice returns the same room.
   *
   * @param name The room's name: case-insensitive, except a direct room's
   *   (`dm:` and two user ids), which is used exactly as given.
   * @param options Where to resume from, for a room seen in an earlier session.
   * @returns The room; its `ready` settles once the server has answered.
   */
  join(name: string, options: JoinOptions = {}): Room {
    if (this.#closed) throw closedError();
    const key = name.startsWith(DIRECT_ROOM_PREFIX) ? name : name.toLowerCase();
    let room = this.#rooms.get(key);
    if (room) return room;
    room = new RoomChannel(key, {
      clock: this.#clock,
      outbox: this.#outbox,
      catchUpLimit: this.#options.catchUpLimit ?? 1000,
      write: (frame) => this.#write(frame),
      paced: (frame) => this.#paced.push(frame),
      request: (kind, frame) => this.#pacedRequest(kind, frame),
      typingInterval: () => this.#limits?.typingInterval ?? 2000,
      nonce: () => this.#nonce(),
      removed: (gone) => {
        if (this.#rooms.get(key) === gone) this.#rooms.delete(key);
      },
    }, options);
    this.#rooms.set(key, room);
    if (this.#state === "open") room.connected();
    return room;
  }

  /**
   * Changes the display name.
   *
   * @param name The new name.
   * @returns The name as the server normalised it.
   * @throws {ChatError} `invalid_name`, or `disconnected` when offline.
   */
  setName(name: string): Promise<string> {
    return this.#pacedRequest("set_name", (nonce) => ({
      type: "set_name",
      name,
      nonce,
    })).then(() => this.#user ?? name);
  }

  /**
   * Bans a user from every room (admins): their connections leave every
   * room and they cannot join any until the ban ends. A room's moderators
   * ban from one room with `Room.ban()`.
   *
   * @param userId The user's id.
   * @param options `duration` in seconds (none: until lifted), and a `reason` for the record.
   * @returns What the server did.
   * @throws {ChatError} `forbidden` for a non-admin, `disconnected` when offline.
   */
  ban(
    userId: string,
    options: { duration?: number; reason?: string } = {},
  ): Promise<Moderated> {
    return this.#moderate(
      (nonce) => ({ type: "ban", room: null, userId, ...options, nonce }),
    );
  }

  /**
   * Lifts a user's ban from every room (admins).
   *
   * @param userId The user's id.
   * @returns What the server did.
   * @throws {ChatError} `not_found` when there was no such ban.
   */
  unban(userId: string): Promise<Moderated> {
    return this.#moderate(
      (nonce) => ({ type: "unban", room: null, userId, nonce }),
    );
  }

  /**
   * The room directory: the public rooms where someone is present, on any
   * instance, busiest first, to browse and join from. Private and direct
   * rooms are never listed. A rate-limited request, paced like `send`.
   *
   * @returns Up to the server's `CHAT_DIRECTORY_LIMIT` rooms (100 by
   *   default), each with its member count and last activity.
   * @throws {ChatError} `disconnected` when offline or the connection drops
   *   first, `unavailable` when the server cannot read its stores now.
   */
  directory(): Promise<RoomInfo[]> {
    return this.#pacedRequest("rooms", (nonce) => ({ type: "rooms", nonce }))
      .then((reply) =>
        (reply as Extract<ServerFrame, { type: "rooms" }>).rooms
      );
  }

  /**
   * Checks the connection end to end.
   *
   * @returns The round trip in milliseconds.
   * @throws {ChatError} `disconnected` when offline or the connection drops first.
   */
  ping(): Promise<number> {
    const sent = this.#clock.now();
    return this.#request("ping", (nonce) => {
      this.#write({ type: "ping", nonce });
    }).then(() => this.#clock.now() - sent);
  }

  /** Skips the rest of the back-off and tries to connect now. */
  reconnect(): void {
    if (this.#closed || this.#retryTimer === undefined) return;
    this.#clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    void this.#connect();
  }

  /**
   * Closes the connection and every room for good; messages not yet
   * acknowledged stay in the outbox. Idempotent.
   *
   * @returns Resolves once every socket of the client has closed.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#options.signal?.removeEventListener("abort", this.#abort);
      globalThis.removeEventListener?.("online", this.#online);
      this.#clock.clearTimeout(this.#retryTimer);
      const socket = this.#socket;
      this.#disconnect(closedError());
      socket?.close(1000, "Client closed");
      for (const room of [...this.#rooms.values()]) room.close();
      this.#setState("closed");
      this.#hub.end();
    }
    return Promise.all([...this.#sockets.values()].map((done) => done.promise))
      .then(() => {});
  }

  /** Closes without waiting for the socket: see {@linkcode ChatClient.close}. */
  [Symbol.dispose](): void {
    void this.close();
  }

  /** Closes and waits for the socket: see {@linkcode ChatClient.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #abort = () => void this.close();

  /** The browser says it is back: test the socket it may have lost, or stop waiting. */
  #online = () => {
    if (this.#state === "open") this.#probe();
    else this.reconnect();
  };

  async #connect(): Promise<void> {
    this.#retryTimer = undefined;
    if (this.#attempt === 0) this.#setState("connecting");
    let token: string | undefined;
    try {
      token = await this.#token.fetch();
    } catch (error) {
      if (this.#closed) return;
      this.#report(
        new ChatError("unauthorized", "Cannot get a token", { cause: error }),
      );
      return this.#retry();
    }
    if (this.#closed) return;
    const url = new URL(this.#url);
    if (this.#user !== undefined) url.searchParams.set("name", this.#user);
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, PROTOCOL);
    } catch (error) {
      // A page may not open it (an insecure ws: from an https: page).
      this.#report(
        new ChatError("disconnected", "Cannot open a WebSocket", {
          cause: error,
        }),
      );
      return this.#retry();
    }
    const closed = deferred<void>();
    this.#sockets.set(socket, closed);
    this.#socket = socket;
    this.#greeted = false;
    this.#connectTimer = this.#clock.setTimeout(
      () => this.#giveUp(socket, "No greeting in time"),
      this.#options.connectTimeout ?? 10_000,
    );
    socket.onopen = () => this.#token.signIn(token);
    socket.onmessage = (message) => {
      for (const event of readServerFrame(String(message.data))) {
        if (this.#socket !== socket) return;
        this.#receive(event);
      }
    };
    // A failed connection is followed by `close`, which handles it.
    socket.onerror = () => {};
    socket.onclose = (event) => {
      this.#sockets.delete(socket);
      closed.resolve();
      if (this.#socket !== socket) return;
      this.#disconnect(new ChatError("disconnected", "Connection lost"));
      if (event.code === 4401) {
        this.#report(
          new ChatError("unauthorized", "The server refused the token"),
        );
      }
      if (event.code === SIGNED_OUT_CODE) {
        this.#report(
          new ChatError(
            "signed_out",
            "The host application signed the user out",
          ),
        );
        // Only a new token may connect again; without a provider, none comes.
        if (this.#options.token === undefined) return void this.close();
      }
      // 4440: the token expired; a fresh one is fetched at once.
      this.#retry(event.code === 4440 ? 0 : undefined, event.code);
    };
  }

  #receive(event: ServerFrame): void {
    this.#paced.replied(event);
    switch (event.type) {
      case "hello":
        this.#greeted = true;
        this.#limits = event.limits;
        this.#setUser(event.user);
        return this.#maybeReady();
      case "authenticated":
        this.#token.authenticated(event);
        this.#setUser(event.user.name);
        return this.#maybeReady();
      case "renamed":
        this.#setUser(event.user);
        this.#answer(event, "set_name");
        return;
      case "pong":
        this.#answer(event, "ping", event.nonce);
        return;
      case "moderated":
        this.#answer(event, "moderate", event.nonce);
        return;
      case "rooms":
        this.#answer(event, "rooms", event.nonce);
        return;
      case "ack":
        // An edit's or a deletion's; a message's goes to its room's outbox.
        if (event.nonce !== undefined && this.#requests.has(event.nonce)) {
          this.#answer(event, "amend", event.nonce);
          return;
        }
        break;
      case "error":
        return this.#onError(event);
    }
    this.#rooms.get(event.room)?.receive(event);
  }

  #onError(event: Extract<ServerFrame, { type: "error" }>): void {
    const nonce = event.nonce ?? "";
    const error = new ChatError(event.code, event.message);
    if (this.#token.refused(nonce, error)) return;
    const request = this.#requests.get(nonce);
    if (request) {
      this.#requests.delete(nonce);
      return request.reply.reject(error);
    }
    for (const room of this.#rooms.values()) {
      if (room.refused(event)) return;
    }
    this.#report(error);
  }

  #maybeReady(): void {
    if (!this.#greeted || !this.#token.ready || this.#state === "open") return;
    this.#clock.clearTimeout(this.#connectTimer);
    this.#attempt = 0;
    this.#setState("open");
    this.#paced.start(this.#limits!);
    for (const room of this.#rooms.values()) room.connected();
  }

  /** Forgets the connection: whatever waited on it fails with `error`. */
  #disconnect(error: ChatError): void {
    this.#socket = undefined;
    for (const timer of [this.#connectTimer, this.#probeTimer]) {
      this.#clock.clearTimeout(timer);
    }
    this.#paced.stop();
    this.#token.disconnected();
    for (const { reply } of this.#requests.values()) reply.reject(error);
    this.#requests.clear();
    for (const room of this.#rooms.values()) room.disconnected();
  }

  #retry(delay?: number, code?: number): void {
    if (this.#closed) return;
    delay ??= backoffDelay(this.#attempt, this.#options.backoff);
    this.#attempt++;
    this.#setState("reconnecting", { delay, code });
    this.#retryTimer = this.#clock.setTimeout(
      () => void this.#connect(),
      delay,
    );
  }

  /** Drops a socket that stopped answering, without waiting for its close. */
  #giveUp(socket: WebSocket, reason: string): void {
    if (this.#socket !== socket) return;
    this.#disconnect(new ChatError("disconnected", reason));
    socket.close(GIVE_UP_CODE, reason);
    this.#retry(undefined, GIVE_UP_CODE);
  }

  #probe(): void {
    const socket = this.#socket;
    if (!socket || this.#probeTimer !== undefined) return;
    this.#probeTimer = this.#clock.setTimeout(
      () => this.#giveUp(socket, "No answer to ping"),
      this.#options.probeTimeout ?? 5000,
    );
    this.ping().then(() => {
      this.#clock.clearTimeout(this.#probeTimer);
      this.#probeTimer = undefined;
    }, () => {});
  }

  /** A rate-limited request, written as the budget allows; resolves with its reply. */
  #pacedRequest(
    kind: string,
    frame: (nonce: string) => ClientFrame,
  ): Promise<ServerFrame> {
    return this.#request(kind, (nonce) => {
      this.#paced.push(() =>
        this.#requests.has(nonce) ? frame(nonce) : undefined
      );
    });
  }

  #moderate(frame: (nonce: string) => ClientFrame): Promise<Moderated> {
    return this.#pacedRequest("moderate", frame).then((reply) => {
      const { type: _, nonce: _nonce, ...moderated } = reply as Extract<
        ServerFrame,
        { type: "moderated" }
      >;
      return moderated;
    });
  }

  #request(
    kind: string,
    write: (nonce: string) => void,
  ): Promise<ServerFrame> {
    if (this.#state !== "open") {
      return Promise.reject(
        this.#closed
          ? closedError()
          : new ChatError("disconnected", "Cannot send request: offline"),
      );
    }
    const nonce = this.#nonce();
    const reply = deferred<ServerFrame>();
    this.#requests.set(nonce, { kind, reply });
    write(nonce);
    return reply.promise;
  }

  /**
   * Settles the request `nonce` with `reply`, or the oldest of `kind` when
   * the reply names none.
   *
   * @returns Whether a request was waiting for it.
   */
  #answer(reply: ServerFrame, kind: string, nonce?: string): boolean {
    for (const [key, request] of this.#requests) {
      if (nonce === undefined ? request.kind !== kind : key !== nonce) continue;
      this.#requests.delete(key);
      request.reply.resolve(reply);
      return true;
    }
    return false;
  }

  #write(frame: ClientFrame): boolean {
    if (this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(JSON.stringify(frame));
    return true;
  }

  #nonce(): string {
    return `r${++this.#nonces}`;
  }

  #setUser(user: string): void {
    this.#user = user;
    this.#hub.emit({ type: "user", user, identity: this.#token.identity });
  }

  #setState(
    state: ConnectionState,
    detail: { delay?: number; code?: number } = {},
  ): void {
    this.#state = state;
    this.#hub.emit({ type: "state", state, attempt: this.#attempt, ...detail });
  }

  #report(error: ChatError): void {
    this.#hub.emit({ type: "error", error });
  }
}
