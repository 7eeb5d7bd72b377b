/**
 * Where a room stands in its log: each entry (message, edit, deletion) is
 * delivered once and in id order; a resume continues after the last one,
 * paging back to fill the gap a long absence leaves while live entries wait,
 * or starts over when the gap is too long or the epoch changed; and
 * `history()` pages back from the oldest entry delivered.
 *
 * @module
 */
import { ChatError } from "./errors.ts";
import type { HistoryOptions, HistoryPage, RoomEvent } from "./room.ts";
import type { ChatMessage, FrameOf, LogEntry } from "./types.ts";

function isMessage(entry: LogEntry): entry is ChatMessage {
  return entry.type === "message";
}

/** What a {@linkcode RoomLog} needs from its room. */
export interface RoomLogHost {
  /** Most messages a resume pages back for before it starts the room over. */
  readonly catchUpLimit: number;
  /** Asks for a page of entries before `before` (of every kind after `since`). */
  history(
    before: number,
    limit: number | undefined,
    since?: number,
  ): Promise<FrameOf<"history">>;
  /** The room was joined: emits `joined`, resumed or started over. */
  joined(resumed: boolean, truncated: boolean): void;
  /** Emits an entry, or the `reset`. */
  emit(event: RoomEvent): void;
}

/** One room's position in its log. */
export class RoomLog {
  #host: RoomLogHost;
  #epoch = "";
  #lastId = 0;
  #oldestId = 0;
  #hasMore = false;
  /** `since` of the join in flight. */
  #since = 0;
  /** Live entries held back while a resume pages in what came before them. */
  #held: LogEntry[] | null = null;

  /**
   * @param host The history requests and the room's events.
   * @param resumeFrom Where an earlier session of the room left off.
   */
  constructor(
    host: RoomLogHost,
    resumeFrom: { since?: number; epoch?: string },
  ) {
    this.#host = host;
    if (resumeFrom.since !== undefined && resumeFrom.epoch !== undefined) {
      this.#lastId = resumeFrom.since;
      this.#epoch = resumeFrom.epoch;
    }
  }

  /** The room's epoch, `""` before it is joined. */
  get epoch(): string {
    return this.#epoch;
  }

  /** The id of the last entry delivered, 0 for none. */
  get lastId(): number {
    return this.#lastId;
  }

  /** Whether older messages than the oldest delivered exist. */
  get hasMore(): boolean {
    return this.#hasMore;
  }

  /**
   * A join is written: it resumes after the last entry delivered.
   *
   * @returns The join's `since` and `epoch`, or none for a first join.
   */
  joining(): { since?: number; epoch?: string } {
    this.#since = this.#lastId;
    return this.#lastId > 0 ? { since: this.#lastId, epoch: this.#epoch } : {};
  }

  /** The server's `joined`: resume, catch up, or start over. */
  joined(event: FrameOf<"joined">): void {
    const since = this.#since;
    if (since > 0 && event.epoch === this.#epoch && !event.truncated) {
      const first = event.messages[0];
      if (event.hasMore && first) void this.#catchUp(since, event, first.id);
      else this.#resume(event.messages, []);
    } else {
      this.#startOver(event, since > 0 && event.truncated, []);
    }
  }

  /** A live entry: delivered, or held back while a catch-up runs. */
  entry(entry: LogEntry): void {
    if (this.#held) this.#held.push(entry);
    else this.#deliver(entry);
  }

  /** The server lost the room's history: start again from its new epoch. */
  reset(event: FrameOf<"reset">): void {
    this.#held = null;
    this.#epoch = event.epoch;
    this.#lastId = 0;
    this.#oldestId = 0;
    this.#hasMore = false;
    this.#host.emit(event);
  }

  /** The connection dropped or the room ended: a catch-up in flight stops. */
  drop(): void {
    this.#held = null;
  }

  /**
   * Reads a page of older messages.
   *
   * @param options Where the page ends and how long it is.
   * @returns The page; empty when it belongs to an epoch the room no longer has.
   */
  async page(options: HistoryOptions): Promise<HistoryPage> {
    const before = options.before ?? this.#oldestId;
    if (before <= 1) return { messages: [], hasMore: false };
    const epoch = this.#epoch;
    const page = await this.#host.history(before, options.limit);
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

  /**
   * Fills the gap between `since` and a resume's page (the latest
   * `historyLimit` messages) with `history` pages, holding live messages
   * back meanwhile, then delivers everything in order.
   */
  async #catchUp(
    since: number,
    event: FrameOf<"joined">,
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
      let page: FrameOf<"history">;
      try {
        page = await this.#host.history(oldest, undefined, since);
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
    this.#host.joined(true, false);
    for (const entry of entries) this.#deliver(entry);
    for (const entry of held) this.#deliver(entry);
  }

  #startOver(
    event: FrameOf<"joined">,
    truncated: boolean,
    held: LogEntry[],
  ): void {
    this.#epoch = event.epoch;
    this.#lastId = 0;
    this.#oldestId = 0;
    this.#hasMore = event.hasMore;
    this.#host.joined(false, truncated);
    for (const entry of event.messages) this.#deliver(entry);
    for (const entry of held) this.#deliver(entry);
  }

  #deliver(entry: LogEntry): void {
    if (entry.id <= this.#lastId) return;
    this.#lastId = entry.id;
    if (this.#oldestId === 0) this.#oldestId = entry.id;
    this.#host.emit(entry);
  }
}
