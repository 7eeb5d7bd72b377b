/**
 * The parts of one room put together (its subscription, log, members,
 * history requests and outbox) and each of its frames handed to the part
 * that keeps that side of it.
 *
 * @module
 */
import type { Clock } from "./backoff.ts";
import { ChatError, closedError } from "./errors.ts";
import { deferred, EventHub } from "./_events.ts";
import { HistoryQueue } from "./_history.ts";
import { MemberList } from "./_members.ts";
import type { Outbox } from "./outbox.ts";
import { RoomLog } from "./_room_log.ts";
import { RoomSender } from "./_sender.ts";
import { RoomSubscription } from "./_subscription.ts";
import type { Room, RoomEvent } from "./room.ts";
import type { ClientFrame, FrameOf, ServerFrame } from "./types.ts";

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
  removed(room: Room): void;
}

/** One room's parts, wired to each other. */
export class RoomCore {
  /** The room's events. */
  readonly hub: EventHub<RoomEvent> = new EventHub<RoomEvent>();
  /** Settles at the first `joined`; rejects when the room ends first. */
  readonly ready: Promise<void>;
  /** Joining and leaving. */
  readonly subscription: RoomSubscription;
  /** The entries delivered, and paging back. */
  readonly log: RoomLog;
  /** Who is present. */
  readonly members: MemberList = new MemberList();
  /** The `history` requests. */
  readonly histories: HistoryQueue;
  /** The outbox on the wire. */
  readonly sender: RoomSender;
  #room: Room;
  #host: RoomHost;
  #readiness = deferred<void>();

  /**
   * @param room The room these parts make up.
   * @param host What the room needs from its client.
   * @param resumeFrom Where an earlier session of the room left off.
   */
  constructor(
    room: Room,
    host: RoomHost,
    resumeFrom: { since?: number; epoch?: string },
  ) {
    const name = room.name;
    this.#room = room;
    this.#host = host;
    this.ready = this.#readiness.promise;
    // Awaiting it is optional: a refused room must not be an unhandled rejection.
    this.ready.catch(() => {});
    this.subscription = new RoomSubscription(name, {
      clock: host.clock,
      nonce: () => host.nonce(),
      write: (frame) => host.write(frame),
      paced: (frame) => host.paced(frame),
      resumeFrom: () => this.log.joining(),
      live: () => {
        this.#readiness.resolve();
        this.sender.resume();
      },
      paused: () => {
        this.log.drop();
        this.histories.fail(new ChatError("disconnected", "Connection lost"));
        this.sender.pause();
      },
      ended: (error) => this.#ended(error),
    });
    this.histories = new HistoryQueue(name, {
      nonce: () => host.nonce(),
      paced: (frame) => host.paced(frame),
      live: () => this.subscription.live,
    });
    this.log = new RoomLog({
      catchUpLimit: host.catchUpLimit,
      history: (before, limit, since) =>
        this.histories.request(before, limit, since),
      joined: (resumed, truncated) => this.#emitJoined(resumed, truncated),
      emit: (event) => this.hub.emit(event),
    }, resumeFrom);
    this.sender = new RoomSender(name, {
      clock: host.clock,
      outbox: host.outbox,
      paced: (frame) => host.paced(frame),
      changed: (pending) =>
        this.hub.emit({ type: "pending", room: name, pending }),
    });
  }

  /** Handles one of the room's events. */
  receive(event: RoomFrame): void {
    if (this.subscription.status === "left") return;
    switch (event.type) {
      case "joined":
        return this.#onJoined(event);
      case "left":
        this.hub.emit(
          event.reason === undefined
            ? { type: "left", room: this.#room.name }
            : { type: "left", room: this.#room.name, reason: event.reason },
        );
        return this.subscription.end();
      case "message":
      case "edit":
      case "delete":
        return this.log.entry(event);
      case "presence":
        this.members.presence(event);
        return this.hub.emit(event);
      case "typing":
        return this.hub.emit(event);
      case "reset":
        return this.log.reset(event);
      case "history":
        return this.histories.received(event);
      case "ack":
        return this.sender.acked(event);
    }
  }

  /**
   * Handles an `error` frame if it answers one of this room's requests.
   *
   * @returns Whether it did.
   */
  refused(error: FrameOf<"error">): boolean {
    if (this.subscription.refused(error)) return true;
    const { nonce, code, message } = error;
    if (nonce === undefined) return false;
    const refusal = new ChatError(code, message);
    return this.sender.refused(nonce, refusal) ||
      this.histories.refused(nonce, refusal);
  }

  #onJoined(event: FrameOf<"joined">): void {
    this.members.joined(event);
    if (!this.subscription.joined()) return;
    this.log.joined(event);
    this.histories.write();
  }

  #emitJoined(resumed: boolean, truncated: boolean): void {
    this.hub.emit({
      type: "joined",
      room: this.#room.name,
      resumed,
      truncated,
      members: this.members.members,
      memberCount: this.members.count,
      epoch: this.log.epoch,
    });
  }

  /** The room ended for good: whatever waits on it fails. */
  #ended(error?: ChatError): void {
    this.log.drop();
    const ended = error ?? closedError();
    this.sender.close(ended);
    this.histories.fail(ended);
    this.#readiness.reject(ended);
    this.hub.end(error);
    this.#host.removed(this.#room);
  }
}
