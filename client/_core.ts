/**
 * The parts of a `ChatClient` put together: its connection and handshake,
 * its paced writer, its requests and its rooms, and the routing of each
 * frame from the server to the part waiting for it.
 *
 * @module
 */
import { type Clock, SYSTEM_CLOCK } from "./backoff.ts";
import { Connection } from "./_connection.ts";
import type { RoutedFrame } from "./_dial.ts";
import { ChatError, closedError } from "./errors.ts";
import { EventHub } from "./_events.ts";
import { Handshake } from "./_handshake.ts";
import { MemoryOutbox } from "./outbox.ts";
import type { ChatClientOptions, ClientEvent } from "./options.ts";
import { PacedWriter } from "./_paced.ts";
import { RequestTable } from "./_requests.ts";
import { RoomRegistry } from "./_rooms.ts";
import type { ClientFrame } from "./types.ts";

/** One client's parts, wired to each other. */
export class ClientCore {
  /** Time and timers. */
  readonly clock: Clock;
  /** The client's `state`, `user` and `error` events. */
  readonly hub: EventHub<ClientEvent> = new EventHub<ClientEvent>();
  /** The display name, the sign-in and the server's limits. */
  readonly handshake: Handshake;
  /** The sockets, one at a time, and the connection's state. */
  readonly connection: Connection;
  /** The rate-limited requests, written as the budget allows. */
  readonly paced: PacedWriter;
  /** The requests waiting for their replies. */
  readonly requests: RequestTable;
  /** The rooms joined and not left. */
  readonly rooms: RoomRegistry;

  /**
   * @param url The server's WebSocket endpoint.
   * @param options The client's options.
   * @throws {TypeError} When `url` is not a URL.
   */
  constructor(url: string | URL, options: ChatClientOptions) {
    const clock = this.clock = options.clock ?? SYSTEM_CLOCK;
    const write = (frame: ClientFrame) => this.connection.write(frame);
    const paced = (frame: () => ClientFrame | undefined) =>
      this.paced.push(frame);
    this.paced = new PacedWriter(clock, write);
    this.requests = new RequestTable({
      unavailable: () => this.#unavailable(),
      paced,
    });
    this.rooms = new RoomRegistry({
      clock,
      outbox: options.outbox ?? new MemoryOutbox(),
      catchUpLimit: options.catchUpLimit ?? 1000,
      write,
      paced,
      request: (kind, frame) => this.requests.paced(kind, frame),
      typingInterval: () => this.handshake.limits?.typingInterval ?? 2000,
      nonce: () => this.requests.nonce(),
    });
    this.handshake = new Handshake(options, {
      clock,
      write,
      emit: (event) => this.hub.emit(event),
    });
    this.connection = new Connection(url, options, {
      handshake: this.handshake,
      hub: this.hub,
      received: (frame) => this.#receive(frame),
      opened: (limits) => {
        this.paced.start(limits);
        this.rooms.connected();
      },
      dropped: (error) => {
        this.paced.stop();
        this.requests.failAll(error);
        this.rooms.disconnected();
      },
      ping: () => this.ping(),
      closing: () => this.rooms.close(),
    });
  }

  /**
   * Checks the connection end to end.
   *
   * @returns The round trip in milliseconds.
   */
  ping(): Promise<number> {
    const sent = this.clock.now();
    return this.requests.send("ping", (nonce) => {
      this.connection.write({ type: "ping", nonce });
    }).then(() => this.clock.now() - sent);
  }

  /** Hands a frame to whoever waits for it: a request, or a room. */
  #receive(frame: RoutedFrame): void {
    this.paced.replied(frame);
    switch (frame.type) {
      case "renamed":
        this.handshake.setUser(frame.user);
        this.requests.answer(frame, "set_name");
        return;
      case "pong":
        this.requests.answer(frame, "ping", frame.nonce);
        return;
      case "moderated":
        this.requests.answer(frame, "moderate", frame.nonce);
        return;
      case "rooms":
        this.requests.answer(frame, "rooms", frame.nonce);
        return;
      case "ack":
        // An edit's or a deletion's; a message's goes to its room's outbox.
        if (frame.nonce !== undefined && this.requests.has(frame.nonce)) {
          this.requests.answer(frame, "amend", frame.nonce);
          return;
        }
        break;
      case "error": {
        const error = new ChatError(frame.code, frame.message);
        if (this.requests.refuse(frame.nonce ?? "", error)) return;
        if (!this.rooms.refused(frame)) this.connection.report(error);
        return;
      }
    }
    this.rooms.receive(frame);
  }

  /** Why no request can be made now, if none can. */
  #unavailable(): ChatError | undefined {
    if (this.connection.state === "open") return undefined;
    return this.connection.closed
      ? closedError()
      : new ChatError("disconnected", "Cannot send request: offline");
  }
}
