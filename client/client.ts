/**
 * `ChatClient`: one `chat.v1` connection that reconnects by itself, signs in
 * with a token it refreshes, paces its requests to the server's limits and
 * keeps its rooms.
 *
 * @module
 */
import { closedError } from "./errors.ts";
import { ClientCore } from "./_core.ts";
import type {
  ChatClientOptions,
  ClientEvent,
  ConnectionState,
  JoinOptions,
} from "./options.ts";
import { moderated } from "./_requests.ts";
import type { Room } from "./room.ts";
import type {
  AuthenticatedUser,
  ClientLimits,
  Moderated,
  RoomInfo,
  ServerFrame,
} from "./types.ts";

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
  #core: ClientCore;

  /**
   * Creates the client and starts connecting.
   *
   * @param url The server's WebSocket endpoint (`ws:`, `wss:`, or `http:`
   * and `https:`, which mean the same).
   * @param options Name, token, outbox, schedule and clock.
   * @throws {TypeError} When `url` is not a URL.
   */
  constructor(url: string | URL, options: ChatClientOptions = {}) {
    this.#core = new ClientCore(url, options);
    this.#core.connection.start();
  }

  /** Where the connection stands. */
  get state(): ConnectionState {
    return this.#core.connection.state;
  }

  /** The display name the server knows the client by, once greeted. */
  get user(): string | undefined {
    return this.#core.handshake.user;
  }

  /** The signed-in user, when a token was accepted. */
  get identity(): AuthenticatedUser | undefined {
    return this.#core.handshake.identity;
  }

  /** The server's limits from its last `hello`. */
  get limits(): ClientLimits | undefined {
    return this.#core.handshake.limits;
  }

  /** The rooms joined and not left. */
  get rooms(): readonly Room[] {
    return this.#core.rooms.rooms;
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
    return this.#core.hub.on(type, listener);
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
    return this.#core.hub.iterate(options);
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
    if (this.#core.connection.closed) throw closedError();
    return this.#core.rooms.join(name, options, this.state === "open");
  }

  /**
   * Changes the display name.
   *
   * @param name The new name.
   * @returns The name as the server normalised it.
   * @throws {ChatError} `invalid_name`, or `disconnected` when offline.
   */
  setName(name: string): Promise<string> {
    return this.#core.requests.paced("set_name", (nonce) => ({
      type: "set_name",
      name,
      nonce,
    })).then(() => this.user ?? name);
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
    return this.#core.requests.paced(
      "moderate",
      (nonce) => ({ type: "ban", room: null, userId, ...options, nonce }),
    ).then(moderated);
  }

  /**
   * Lifts a user's ban from every room (admins).
   *
   * @param userId The user's id.
   * @returns What the server did.
   * @throws {ChatError} `not_found` when there was no such ban.
   */
  unban(userId: string): Promise<Moderated> {
    return this.#core.requests.paced(
      "moderate",
      (nonce) => ({ type: "unban", room: null, userId, nonce }),
    ).then(moderated);
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
    return this.#core.requests.paced(
      "rooms",
      (nonce) => ({ type: "rooms", nonce }),
    )
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
    return this.#core.ping();
  }

  /** Skips the rest of the back-off and tries to connect now. */
  reconnect(): void {
    this.#core.connection.reconnect();
  }

  /**
   * Closes the connection and every room for good; messages not yet
   * acknowledged stay in the outbox. Idempotent.
   *
   * @returns Resolves once every socket of the client has closed.
   */
  close(): Promise<void> {
    return this.#core.connection.close();
  }

  /** Closes without waiting for the socket: see {@linkcode ChatClient.close}. */
  [Symbol.dispose](): void {
    void this.close();
  }

  /** Closes and waits for the socket: see {@linkcode ChatClient.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
