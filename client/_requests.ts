/**
 * The requests a client waits on for a reply (`ping`, `set_name`, `rooms`,
 * `edit`, `delete`, `ban`…): each gets a nonce and settles with the reply
 * that names it, or, for a reply that names none, the oldest of its kind.
 *
 * @module
 */
import type { ChatError } from "./errors.ts";
import { type Deferred, deferred } from "./_events.ts";
import type { ClientFrame, Moderated, ServerFrame } from "./types.ts";

/** What a {@linkcode RequestTable} needs from its client. */
export interface RequestHost {
  /** Why no request can be made now (offline, closed); `undefined` when one can. */
  unavailable(): ChatError | undefined;
  /** Writes a rate-limited request once the budget allows, unless `frame()` then returns `undefined`. */
  paced(frame: () => ClientFrame | undefined): void;
}

/** A request waiting for its reply: its kind, for replies that carry no nonce. */
interface PendingRequest {
  kind: string;
  reply: Deferred<ServerFrame>;
}

/** One client's requests waiting for their replies, by nonce. */
export class RequestTable {
  #host: RequestHost;
  #requests = new Map<string, PendingRequest>();
  #nonces = 0;

  /** @param host Whether requests may be made, and the paced writer. */
  constructor(host: RequestHost) {
    this.#host = host;
  }

  /** A fresh nonce, for a request of this table or another's. */
  nonce(): string {
    return `r${++this.#nonces}`;
  }

  /** Whether the request `nonce` is waiting for its reply. */
  has(nonce: string): boolean {
    return this.#requests.has(nonce);
  }

  /**
   * Makes a request: `write` puts it on the wire with its nonce.
   *
   * @returns Its reply; rejects with the `error` it gets, or when offline.
   */
  send(kind: string, write: (nonce: string) => void): Promise<ServerFrame> {
    const unavailable = this.#host.unavailable();
    if (unavailable) return Promise.reject(unavailable);
    const nonce = this.nonce();
    const reply = deferred<ServerFrame>();
    this.#requests.set(nonce, { kind, reply });
    write(nonce);
    return reply.promise;
  }

  /**
   * Makes a rate-limited request, written as the budget allows (and not at
   * all once it no longer waits).
   *
   * @returns Its reply, as {@linkcode RequestTable.send}.
   */
  paced(
    kind: string,
    frame: (nonce: string) => ClientFrame,
  ): Promise<ServerFrame> {
    return this.send(kind, (nonce) => {
      this.#host.paced(() =>
        this.#requests.has(nonce) ? frame(nonce) : undefined
      );
    });
  }

  /**
   * Settles the request `nonce` with `reply`, or the oldest of `kind` when
   * the reply names none.
   *
   * @returns Whether a request was waiting for it.
   */
  answer(reply: ServerFrame, kind: string, nonce?: string): boolean {
    for (const [key, request] of this.#requests) {
      if (nonce === undefined ? request.kind !== kind : key !== nonce) continue;
      this.#requests.delete(key);
      request.reply.resolve(reply);
      return true;
    }
    return false;
  }

  /**
   * Fails the request `nonce` with the server's `error`.
   *
   * @returns Whether a request was waiting for it.
   */
  refuse(nonce: string, error: ChatError): boolean {
    const request = this.#requests.get(nonce);
    if (!request) return false;
    this.#requests.delete(nonce);
    request.reply.reject(error);
    return true;
  }

  /** The connection dropped: every waiting request fails with `error`. */
  failAll(error: ChatError): void {
    for (const { reply } of this.#requests.values()) reply.reject(error);
    this.#requests.clear();
  }
}

/**
 * What a `moderated` reply says the server did, without its wire fields.
 *
 * @param reply The reply to a `ban`, `unban` or `kick`.
 * @returns The action, as `ChatClient.ban()` and `Room.ban()` resolve.
 */
export function moderated(reply: ServerFrame): Moderated {
  const { type: _, nonce: _nonce, ...rest } = reply as Extract<
    ServerFrame,
    { type: "moderated" }
  >;
  return rest;
}
