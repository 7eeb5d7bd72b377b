/**
 * One room of a client: joins and resumes it on each connection, delivers
 * its log's entries (messages, edits, deletions) once and in order (paging
 * back to fill the gap a long absence leaves), and keeps its members; its
 * outbox goes through a `RoomSender`.
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
import type { Outbox } from "./outbox.ts";
import { moderated } from "./_requests.ts";
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
  ChatMessage,
  ClientFrame,
  LogEntry,
  Member,
  Moderated,
  ServerFrame,
} from "./types.ts";

function isMessage(entry: LogEntry): entry is ChatMessage {
  return entry.type === "message";
}

/** Orders members as the server lists them: by name, then id. */
function byName(a: Member, b: Member): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

type Frame<T extends ServerFrame["type"]> = Extract<ServerFrame, { type: T }>;

/** The events of the wire that belong to one room. */
export type RoomFrame = Frame<
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

interface HistoryRequest {
  nonce: string;
  before: number;
  limit: number | undefined;
  /** Entries of every kind after this id, for a resume's catch-up. */
  since: number | undefined;
  result: Deferred<Frame<"history">>;
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
  #epoch = "";
  #lastId = 0;
  #oldestId = 0;
  #hasMore = false;
  #members: Member[] = [];
  #memberCount = 0;
  #joinNonce: string | undefined;
  #joinTimer: unknown;
  /** `since` of the join in flight. */
  #since = 0;
  /** Live entries held back while a resume pages in what came before them. */
  #held: LogEntry[] | null = null;
  /** When `typing` was last written, for the server's interval. */
  #typedAt = -Infinity;
  #sender: RoomSender;
  #retries = 0;
  #histories: HistoryRequest[] = [];
  #leaving: Deferred<void> | undefined;
  #leaveNonce: string | undefined;

  constructor(
    name: string,
    host: RoomHost,
    resumeFrom: { since?: number; epoch?: string } = {},
  ) {
    this.name = name;
    this.#host = host;
    if (resumeFrom.since !== undefined && resumeFrom.epoch !== undefined) {
      this.#lastId = resumeFrom.since;
      this.#epoch = resumeFrom.epoch;
    }
    this.ready = this.#readiness.promise;
    // Awaiting it is optional: a refused room must not be an unhandled rejection.
    this.ready.catch(() => {});
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
    return this.#members;
  }
  get memberCount(): number {
    return this.#memberCount;
  }
  get epoch(): string {
    return this.#epoch;
  }
  get lastId(): number {
    return this.#lastId;
  }
  get hasMore(): boolean {
    return this.#hasMore;
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

  async history(options: HistoryOptions = {}): Promise<HistoryPage> {
    const before = options.before ?? this.#oldestId;
    if (before <= 1) return { messages: [], hasMore: false };
    const epoch = this.#epoch;
    const page = await this.#requestHistory(before, options.limit);
    if (page.epoch !== epoch || epoch !== this.#epoch) {
      return { messages: [], hasMore: false };
    }
    // Without `since` a page holds messages only, each in its current state.
    const messages = page.messages.filter(isMessage);
    if (before === this.#oldestId) {
      this.#oldestId = messages[0]?.id ?? this.#oldestId;
      this.#hasMore = page.hasMore && messages.length > 0;
    }
    return { messages, hasMore: page.hasMore };
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
    this.#since = this.#lastId;
    this.#host.write({
      type: "join",
      room: this.name,
      nonce: this.#joinNonce,
      ...(this.#lastId > 0 ? { since: this.#lastId, epoch: this.#epoch } : {}),
    });
  }

  /** The connection dropped: what was in flight is written again on the next. */
  disconnected(): void {
    if (this.#status === "left") return;
    if (this.#leaving) return this.#finish();
    this.#live = false;
    this.#status = "joining";
    this.#joinNonce = undefined;
    this.#held = null;
    this.#host.clock.clearTimeout(this.#joinTimer);
    this.#joinTimer = undefined;
    this.#failHistories(new ChatError("disconnected", "Connection lost"));
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
        if (this.#held) this.#held.push(event);
        else this.#deliver(event);
        return;
      case "presence":
        return this.#onPresence(event);
      case "typing":
        return this.#hub.emit(event);
      case "reset":
        return this.#onReset(event);
      case "history":
        this.#histories.shift()?.result.resolve(event);
        return this.#writeHistory();
      case "ack":
        return this.#sender.acked(event);
    }
  }

  /**
   * Handles an `error` frame if it answers one of this room's requests.
   *
   * @returns Whether it did.
   */
  refused(error: Frame<"error">): boolean {
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
    if (this.#sender.refused(nonce, new ChatError(code, message))) return true;
    const index = this.#histories.findIndex((request) =>
      request.nonce === nonce
    );
    if (index < 0) return false;
    this.#histories.splice(index, 1)[0]!.result.reject(
      new ChatError(code, message),
    );
    if (index === 0) this.#writeHistory();
    return true;
  }

  #onJoined(event: Frame<"joined">): void {
    this.#joinNonce = undefined;
    this.#members = [...event.members].sort(byName);
    this.#memberCount = event.memberCount;
    this.#becomeLive();
    if (this.#leaving) return this.#sendLeave();
    const since = this.#since;
    if (since > 0 && event.epoch === this.#epoch && !event.truncated) {
      const first = event.messages[0];
      if (event.hasMore && first) void this.#catchUp(since, event, first.id);
      else this.#resume(event.messages, []);
    } else {
      this.#startOver(event, since > 0 && event.truncated, []);
    }
    this.#writeHistory();
  }

  #becomeLive(): void {
    this.#live = true;
    this.#status = "joined";
    this.#retries = 0;
    this.#readiness.resolve();
    this.#sender.resume();
  }

  /**
   * Fills the gap between `since` and a resume's page (the latest
   * `historyLimit` messages) with `history` pages, holding live messages
   * back meanwhile, then delivers everything in order.
   */
  async #catchUp(
    since: number,
    event: Frame<"joined">,
    oldest: number,
  ): Promise<void> {
    const held: LogEntry[] = [];
    this.#held = held;
    const pages = [event.messages];
    let fetched = event.messages.length;
    let more = true;
    while (more && oldest > since + 1) {
      if (fetched >= this.#host.catchUpLimit) {
        this.#held = null;
        return this.#startOver(event, true, held);
      }
      let page: Frame<"history">;
      try {
        page = await this.#requestHistory(oldest, undefined, since);
      } catch (error) {
        if (this.#held !== held) return;
        if (!(error instanceof ChatError)) throw error;
        this.#held = null;
        return this.#startOver(event, true, held);
      }
      // Dropped, reset or left meanwhile: the next join starts afresh.
      if (this.#held !== held) return;
      if (page.epoch !== this.#epoch) {
        this.#held = null;
        return this.#startOver(event, true, held);
      }
      pages.unshift(page.messages.filter((entry) => entry.id > since));
      fetched += page.messages.length;
      more = page.hasMore;
      oldest = page.messages[0]?.id ?? since;
    }
    this.#held = null;
    this.#resume(pages.flat(), held);
  }

  #resume(entries: LogEntry[], held: LogEntry[]): void {
    this.#emitJoined(true, false);
    for (const entry of entries) this.#deliver(entry);
    for (const entry of held) this.#deliver(entry);
  }

  #startOver(
    event: Frame<"joined">,
    truncated: boolean,
    held: LogEntry[],
  ): void {
    this.#epoch = event.epoch;
    this.#lastId = 0;
    this.#oldestId = 0;
    this.#hasMore = event.hasMore;
    this.#emitJoined(false, truncated);
    for (const entry of event.messages) this.#deliver(entry);
    for (const entry of held) this.#deliver(entry);
  }

  #emitJoined(resumed: boolean, truncated: boolean): void {
    this.#hub.emit({
      type: "joined",
      room: this.name,
      resumed,
      truncated,
      members: this.#members,
      memberCount: this.#memberCount,
      epoch: this.#epoch,
    });
  }

  #deliver(entry: LogEntry): void {
    if (entry.id <= this.#lastId) return;
    this.#lastId = entry.id;
    if (this.#oldestId === 0) this.#oldestId = entry.id;
    this.#hub.emit(entry);
  }

  #amend(frame: (nonce: string) => ClientFrame): Promise<Ack> {
    if (this.#status === "left") return Promise.reject(closedError());
    return this.#host.request("amend", frame) as Promise<Ack>;
  }

  #moderate(frame: (nonce: string) => ClientFrame): Promise<Moderated> {
    if (this.#status === "left") return Promise.reject(closedError());
    return this.#host.request("moderate", frame).then(moderated);
  }

  #onReset(event: Frame<"reset">): void {
    this.#held = null;
    this.#epoch = event.epoch;
    this.#lastId = 0;
    this.#oldestId = 0;
    this.#hasMore = false;
    this.#hub.emit(event);
  }

  #onPresence(event: Frame<"presence">): void {
    // A large room sends its member count instead of names.
    if (typeof event.memberCount === "number") {
      this.#memberCount = event.memberCount;
    } else {
      // In a large room the list is a sample: a user who leaves may never
      // have been listed, so the count follows the event, not the list. A
      // `joined` entry for a user listed already is their new name.
      const members = new Map(
        this.#members.map((member) => [member.id, member]),
      );
      let count = this.#memberCount;
      for (const member of event.left) {
        members.delete(member.id);
        count--;
      }
      for (const member of event.joined) {
        if (!members.has(member.id)) count++;
        members.set(member.id, member);
      }
      this.#members = [...members.values()].sort(byName);
      this.#memberCount = Math.max(count, members.size);
    }
    this.#hub.emit(event);
  }

  #requestHistory(
    before: number,
    limit: number | undefined,
    since?: number,
  ): Promise<Frame<"history">> {
    // Replies name their room but not their request: one at a time per room.
    const request = {
      nonce: this.#host.nonce(),
      before,
      limit,
      since,
      result: deferred<Frame<"history">>(),
    };
    this.#histories.push(request);
    if (this.#histories.length === 1) this.#writeHistory();
    return request.result.promise;
  }

  #writeHistory(): void {
    const request = this.#histories[0];
    if (!request || !this.#live) return;
    const { nonce, before, limit, since } = request;
    this.#host.paced(() =>
      this.#histories[0] === request && this.#live
        ? {
          type: "history",
          room: this.name,
          before,
          ...(limit === undefined ? {} : { limit }),
          ...(since === undefined ? {} : { since }),
          nonce,
        }
        : undefined
    );
  }

  #failHistories(error: ChatError): void {
    for (const request of this.#histories.splice(0)) {
      request.result.reject(error);
    }
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
    this.#held = null;
    this.#host.clock.clearTimeout(this.#joinTimer);
    const ended = error ?? closedError();
    this.#sender.close(ended);
    this.#failHistories(ended);
    this.#readiness.reject(ended);
    this.#hub.end(error);
    this.#leaving?.resolve();
    this.#host.removed(this);
  }
}
