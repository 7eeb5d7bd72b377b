/**
 * One room of a client, as its callers see it (see {@linkcode Room}): its
 * state, its events and its requests, over the parts a `RoomCore` wires.
 *
 * @module
 */
import { closedError } from "./errors.ts";
import type { IterateOptions } from "./_events.ts";
import { moderated } from "./_requests.ts";
import { RoomCore, type RoomFrame, type RoomHost } from "./_room_core.ts";
import type {
  HistoryOptions,
  HistoryPage,
  PendingMessage,
  Room,
  RoomEvent,
  RoomStatus,
} from "./room.ts";
import type { Ack, ClientFrame, FrameOf, Member, Moderated } from "./types.ts";

/** The client's side of one room; see {@linkcode Room}. */
export class RoomChannel implements Room {
  readonly name: string;
  readonly ready: Promise<void>;
  #host: RoomHost;
  #core: RoomCore;
  /** When `typing` was last written, for the server's interval. */
  #typedAt = -Infinity;

  constructor(
    name: string,
    host: RoomHost,
    resumeFrom: { since?: number; epoch?: string } = {},
  ) {
    this.name = name;
    this.#host = host;
    this.#core = new RoomCore(this, host, resumeFrom);
    this.ready = this.#core.ready;
  }

  get status(): RoomStatus {
    return this.#core.subscription.status;
  }
  get members(): readonly Member[] {
    return this.#core.members.members;
  }
  get memberCount(): number {
    return this.#core.members.count;
  }
  get epoch(): string {
    return this.#core.log.epoch;
  }
  get lastId(): number {
    return this.#core.log.lastId;
  }
  get hasMore(): boolean {
    return this.#core.log.hasMore;
  }
  get pending(): readonly PendingMessage[] {
    return this.#core.sender.pending;
  }

  on<T extends RoomEvent["type"]>(
    type: T,
    listener: (event: Extract<RoomEvent, { type: T }>) => void,
  ): () => void {
    return this.#core.hub.on(type, listener);
  }

  events(options?: IterateOptions): AsyncGenerator<RoomEvent, void, undefined> {
    return this.#core.hub.iterate(options);
  }

  [Symbol.asyncIterator](): AsyncIterator<RoomEvent> {
    return this.#core.hub.iterate();
  }

  send(text: string): Promise<Ack> {
    if (this.status === "left") return Promise.reject(closedError());
    return this.#core.sender.send(text);
  }

  history(options: HistoryOptions = {}): Promise<HistoryPage> {
    return this.#core.log.page(options);
  }

  edit(id: number, text: string): Promise<Ack> {
    return this.#amend(
      (nonce) => ({ type: "edit", room: this.name, id, text, nonce }),
    );
  }

  delete(id: number): Promise<Ack> {
    return this.#amend((nonce) => ({
      type: "delete",
      room: this.name,
      id,
      nonce,
    }));
  }

  typing(): void {
    const now = this.#host.clock.now();
    if (
      !this.#core.subscription.live ||
      now - this.#typedAt < this.#host.typingInterval()
    ) {
      return;
    }
    if (this.#host.write({ type: "typing", room: this.name })) {
      this.#typedAt = now;
    }
  }

  ban(
    userId: string,
    options: { duration?: number; reason?: string } = {},
  ): Promise<Moderated> {
    return this.#moderate(
      (nonce) => ({ type: "ban", room: this.name, userId, ...options, nonce }),
    );
  }

  unban(userId: string): Promise<Moderated> {
    return this.#moderate(
      (nonce) => ({ type: "unban", room: this.name, userId, nonce }),
    );
  }

  kick(userId: string, options: { reason?: string } = {}): Promise<Moderated> {
    return this.#moderate(
      (nonce) => ({ type: "kick", room: this.name, userId, ...options, nonce }),
    );
  }

  leave(): Promise<void> {
    return this.#core.subscription.leave();
  }

  [Symbol.dispose](): void {
    void this.leave();
    this.#core.hub.end();
  }

  /** The connection is ready: join, resuming after the last message. */
  connected(): void {
    this.#core.subscription.connected();
  }

  /** The connection dropped: what was in flight is written again on the next. */
  disconnected(): void {
    this.#core.subscription.disconnected();
  }

  /** The client closed: ends everything, leaving the outbox as it is. */
  close(): void {
    this.#core.subscription.end();
  }

  /** Handles one of the room's events. */
  receive(event: RoomFrame): void {
    this.#core.receive(event);
  }

  /**
   * Handles an `error` frame if it answers one of this room's requests.
   *
   * @returns Whether it did.
   */
  refused(error: FrameOf<"error">): boolean {
    return this.#core.refused(error);
  }

  #amend(frame: (nonce: string) => ClientFrame): Promise<Ack> {
    if (this.status === "left") return Promise.reject(closedError());
    return this.#host.request("amend", frame) as Promise<Ack>;
  }

  #moderate(frame: (nonce: string) => ClientFrame): Promise<Moderated> {
    if (this.status === "left") return Promise.reject(closedError());
    return this.#host.request("moderate", frame).then(moderated);
  }
}
