/**
 * A room's `history` requests. Replies name their room but not their
 * request, so one is on the wire at a time per room, in the order asked;
 * each is written (paced) only while the room is joined, and all fail
 * together when the connection drops or the room ends.
 *
 * @module
 */
import type { ChatError } from "./errors.ts";
import { type Deferred, deferred } from "./_events.ts";
import type { ClientFrame, FrameOf } from "./types.ts";

/** What a {@linkcode HistoryQueue} needs from its room. */
export interface HistoryHost {
  /** A fresh nonce for a request. */
  nonce(): string;
  /** Writes a rate-limited request once the budget allows, unless `frame()` then returns `undefined`. */
  paced(frame: () => ClientFrame | undefined): void;
  /** Whether the room is joined on the current connection. */
  live(): boolean;
}

interface HistoryRequest {
  nonce: string;
  before: number;
  limit: number | undefined;
  /** Entries of every kind after this id, for a resume's catch-up. */
  since: number | undefined;
  /** Handed to the writer already: a reply is on its way. */
  written: boolean;
  result: Deferred<FrameOf<"history">>;
}

/** One room's `history` requests, oldest first. */
export class HistoryQueue {
  #room: string;
  #host: HistoryHost;
  #requests: HistoryRequest[] = [];

  /**
   * @param room The room's name.
   * @param host Nonces, the paced writer, and whether the room is joined.
   */
  constructor(room: string, host: HistoryHost) {
    this.#room = room;
    this.#host = host;
  }

  /**
   * Asks for the page of entries before `before`.
   *
   * @param before The page ends just before this id.
   * @param limit Most entries, or the server's default.
   * @param since Entries of every kind after this id, for a catch-up.
   * @returns The server's `history`; rejects with its `error`, or when the
   *   connection drops or the room ends first.
   */
  request(
    before: number,
    limit: number | undefined,
    since?: number,
  ): Promise<FrameOf<"history">> {
    const request = {
      nonce: this.#host.nonce(),
      before,
      limit,
      since,
      written: false,
      result: deferred<FrameOf<"history">>(),
    };
    this.#requests.push(request);
    if (this.#requests.length === 1) this.write();
    return request.result.promise;
  }

  /**
   * Writes the oldest request, if the room is joined and it is not written
   * yet: a second copy's reply would settle the request after it.
   */
  write(): void {
    const request = this.#requests[0];
    if (!request || request.written || !this.#host.live()) return;
    request.written = true;
    const { nonce, before, limit, since } = request;
    this.#host.paced(() =>
      this.#requests[0] === request && this.#host.live()
        ? {
          type: "history",
          room: this.#room,
          before,
          ...(limit === undefined ? {} : { limit }),
          ...(since === undefined ? {} : { since }),
          nonce,
        }
        : undefined
    );
  }

  /** The reply to the oldest request: settles it and writes the next. */
  received(frame: FrameOf<"history">): void {
    this.#requests.shift()?.result.resolve(frame);
    this.write();
  }

  /**
   * Fails the request `nonce` with the server's `error`.
   *
   * @returns Whether it was one of these.
   */
  refused(nonce: string, error: ChatError): boolean {
    const index = this.#requests.findIndex((request) =>
      request.nonce === nonce
    );
    if (index < 0) return false;
    this.#requests.splice(index, 1)[0]!.result.reject(error);
    if (index === 0) this.write();
    return true;
  }

  /** Fails every request with `error`. */
  fail(error: ChatError): void {
    for (const request of this.#requests.splice(0)) {
      request.result.reject(error);
    }
  }
}
