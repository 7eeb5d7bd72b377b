/**
 * One room of a client, as its callers see it: joins it on each connection
 * (again after a refusal the server may lift, with back-off), leaves it,
 * sends its requests, and hands each of its frames to the part that keeps
 * that side of it: its log, its members, its history requests, its outbox.
 *
 * @module
 */
import { backoffDelay, type Clock } from "./backoff.ts";
import { ChatError, closedError } from "./errors.ts";
import {
  type Deferred,
  deferred,
  EventHub,
  type IterateOptions,
} from "./_events.ts";
import { HistoryQueue } from "./_history.ts";
import { MemberList } from "./_members.ts";
import type { Outbox } from "./outbox.ts";
import { moderated } from "./_requests.ts";
import { RoomLog } from "./_room_log.ts";
import { RoomSender } from "./_sender.ts";
import type {
  HistoryOptions,
  HistoryPage,
  PendingMessage,
  Room,
  RoomEvent,
  RoomStatus,
} from "./room.ts";
import type {
  Ack,
  ClientFrame,
  FrameOf,
  Member,
  Moderated,
  ServerFrame,
} from "./types.ts";

/** The events of the wire that belong to one room. */
export type RoomFrame = FrameOf<
  | "joined"
  | "left"
  | "message"
  | "edit"
  | "delete"
  | "presence"
  | "typing"
  | "reset"
  | "history"
  | "ack"
>;

/** What a room needs from its client. */
export interface RoomHost {
  readonly clock: Clock;
  readonly outbox: Outbox;
  /** Most messages a resume pages back for before it starts the room over. */
  readonly catchUpLimit: number;
  /** Writes a request the server does not rate-limit; `false` when offline. */
  write(frame: ClientFrame): boolean;
  /** Writes a rate-limited request once the budget allows, unless `frame()` then returns `undefined`. */
  paced(frame: () => ClientFrame | undefined): void;
  /**
   * A rate-limited request answered by nonce (`edit`, `delete`, `ban`…):
   * resolves with its reply, rejects with the `error` or when offline.
   */
  request(
    kind: string,
    frame: (nonce: string) => ClientFrame,
  ): Promise<ServerFrame>;
  /** Milliseconds between two `typing` frames, as the server said. */
  typingInterval(): number;
  /** A fresh nonce for a request. */
  nonce(): string;
  /** Called once when the room is left for good. */
  removed(room: RoomChannel): void;
}

/** The client's side of one room; see {@linkcode Room}. */
export class RoomChannel implements Room {
  readonly name: string;
  readonly ready: Promise<void>;
  #host: RoomHost;
  #hub = new EventHub<RoomEvent>();
  #status: RoomStatus = "joining";
  #readiness = deferred<void>();
  /** Joined on the current connection. */
  #live = false;
  #log: RoomLog;
  #members = new MemberList();
  #histories: HistoryQueue;
  #joinNonce: string | undefined;
  #joinTimer: unknown;
  /** When `typing` was last written, for the server's interval. */
  #typedAt = -Infinity;
  #sender: RoomSender;
  #retries = 0;
  #leaving: Deferred<void> | undefined;
  #leaveNonce: string | undefined;

  constructor(
    name: string,
    host: RoomHost,
    resumeFrom: { since?: number; epoch?: string } = {},
  ) {
    this.name = name;
    this.#host = host;
    this.ready = this.#readiness.promise;
    // Awaiting it is optional: a refused room must not be an unhandled rejection.
    this.ready.catch(() => {});
    this.#histories = new HistoryQueue(name, {
      nonce: () => host.nonce(),
      paced: (frame) => host.paced(frame),
      live: () => this.#live,
    });
    this.#log = new RoomLog({
      catchUpLimit: host.catchUpLimit,
      history: (before, limit, since) =>
        this.#histories.request(before, limit, since),
      joined: (resumed, truncated) => this.#emitJoined(resumed, truncated),
      emit: (event) => this.#hub.emit(event),
    }, resumeFrom);
    this.#sender = new RoomSender(name, {
      clock: host.clock,
      outbox: host.outbox,
      paced: (frame) => host.paced(frame),
      changed: (pending) =>
        this.#hub.emit({ type: "pending", room: name, pending }),
    });
  }

  get status(): RoomStatus {
    return this.#status;
  }
  get members(): readonly Member[] {
    return this.#members.members;
  }
  get memberCount(): number {
    return this.#members.count;
  }
  get epoch(): string {
    return this.#log.epoch;
  }
  get lastId(): number {
    return this.#log.lastId;
  }
  get hasMore(): boolean {
    return this.#log.hasMore;
  }
  get pending(): readonly PendingMessage[] {
    return this.#sender.pending;
  }

  on<T extends RoomEvent["type"]>(
    type: T,
    listener: (event: Extract<RoomEvent, { type: T }>) => void,
  ): () => void {
    return this.#hub.on(type, listener);
  }

  events(options?: IterateOptions): AsyncGenerator<RoomEvent, void, undefined> {
    return this.#hub.iterate(options);
  }

  [Symbol.asyncIterator](): AsyncIterator<RoomEvent> {
    return this.#hub.iterate();
  }

  send(text: string): Promise<Ack> {
    if (this.#status === "left") return Promise.reject(closedError());
    return this.#sender.send(text);
  }

  history(options: HistoryOptions = {}): Promise<HistoryPage> {
    return this.#log.page(options);
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
    if (!this.#live || now - this.#typedAt < this.#host.typingInterval()) {
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
    if (this.#status === "left") return Promise.resolve();
    if (!this.#leaving) {
      this.#leaving = deferred();
      if (this.#live) this.#sendLeave();
      // A join in flight is answered first; the leave follows it.
      else if (this.#joinNonce === undefined) this.#finish();
    }
    return this.#leaving.promise;
  }

  [Symbol.dispose](): void {
    void this.leave();
    this.#hub.end();
  }

  /** The connection is ready: join, resuming after the last message. */
  connected(): void {
    if (this.#leaving) return this.#finish();
    this.#host.clock.clearTimeout(this.#joinTimer);
    this.#joinTimer = undefined;
    this.#joinNonce = this.#host.nonce();
    this.#host.write({
      type: "join",
      room: this.name,
      nonce: this.#joinNonce,
      ...this.#log.joining(),
    });
  }

  /** The connection dropped: what was in flight is written again on the next. */
  disconnected(): void {
    if (this.#status === "left") return;
    if (this.#leaving) return this.#finish();
    this.#live = false;
    this.#status = "joining";
    this.#joinNonce = undefined;
    this.#log.drop();
    this.#host.clock.clearTimeout(this.#joinTimer);
    this.#joinTimer = undefined;
    this.#histories.fail(new ChatError("disconnected", "Connection lost"));
    this.#sender.pause();
  }

  /** The client closed: ends everything, leaving the outbox as it is. */
  close(): void {
    this.#finish(undefined);
  }

  /** Handles one of the room's events. */
  receive(event: RoomFrame): void {
    if (this.#status === "left") return;
    switch (event.type) {
      case "joined":
        return this.#onJoined(event);
      case "left":
        this.#hub.emit(
          event.reason === undefined
            ? { type: "left", room: this.name }
            : { type: "left", room: this.name, reason: event.reason },
        );
        return this.#finish();
      case "message":
      case "edit":
      case "delete":
        return this.#log.entry(event);
      case "presence":
        this.#members.presence(event);
        return this.#hub.emit(event);
      case "typing":
        return this.#hub.emit(event);
      case "reset":
        return this.#log.reset(event);
      case "history":
        return this.#histories.received(event);
      case "ack":
        return this.#sender.acked(event);
    }
  }

  /**
   * Handles an `error` frame if it answers one of this room's requests.
   *
   * @returns Whether it did.
   */
  refused(error: FrameOf<"error">): boolean {
    const { nonce, code, message } = error;
    if (nonce === undefined) return false;
    if (nonce === this.#joinNonce) {
      this.#joinNonce = undefined;
      if (code === "unavailable") {
        this.#joinTimer = this.#host.clock.setTimeout(
          () => this.connected(),
          backoffDelay(this.#retries++),
        );
      } else if (code === "already_joined") {
        this.#becomeLive();
      } else {
        this.#finish(new ChatError(code, message));
      }
      return true;
    }
    if (nonce === this.#leaveNonce) {
      this.#finish();
      return true;
    }
    const refusal = new ChatError(code, message);
    return this.#sender.refused(nonce, refusal) ||
      this.#histories.refused(nonce, refusal);
  }

  #onJoined(event: FrameOf<"joined">): void {
    this.#joinNonce = undefined;
    this.#members.joined(event);
    this.#becomeLive();
    if (this.#leaving) return this.#sendLeave();
    this.#log.joined(event);
    this.#histories.write();
  }

  #becomeLive(): void {
    this.#live = true;
    this.#status = "joined";
    this.#retries = 0;
    this.#readiness.resolve();
    this.#sender.resume();
  }

  #emitJoined(resumed: boolean, truncated: boolean): void {
    this.#hub.emit({
      type: "joined",
      room: this.name,
      resumed,
      truncated,
      members: this.#members.members,
      memberCount: this.#members.count,
      epoch: this.#log.epoch,
    });
  }

  #amend(frame: (nonce: string) => ClientFrame): Promise<Ack> {
    if (this.#status === "left") return Promise.reject(closedError());
    return this.#host.request("amend", frame) as Promise<Ack>;
  }

  #moderate(frame: (nonce: string) => ClientFrame): Promise<Moderated> {
    if (this.#status === "left") return Promise.reject(closedError());
    return this.#host.request("moderate", frame).then(moderated);
  }

  #sendLeave(): void {
    const nonce = this.#leaveNonce = this.#host.nonce();
    this.#host.paced(() =>
      this.#live ? { type: "leave", room: this.name, nonce } : undefined
    );
  }

  #finish(error?: ChatError): void {
    if (this.#status === "left") return;
    this.#status = "left";
    this.#live = false;
    this.#log.drop();
    this.#host.clock.clearTimeout(this.#joinTimer);
    const ended = error ?? closedError();
    this.#sender.close(ended);
    this.#histories.fail(ended);
    this.#readiness.reject(ended);
    this.#hub.end(error);
    this.#leaving?.resolve();
    this.#host.removed(this);
  }
}
