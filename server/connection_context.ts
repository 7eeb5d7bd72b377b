/**
 * What the parts of one connection (its session, rooms, feeds and sign-in)
 * share: its id, its socket writer, and the means to end it. One object per
 * connection with shared methods, instead of a closure per callback in each
 * part: every idle connection holds these for its whole life.
 *
 * @module
 */
import { log } from "../observability/log.ts";
import type { DrainWatcher } from "./drain_watcher.ts";
import { CloseCode } from "./protocol.ts";
import type { SocketWriter } from "./socket_writer.ts";

/** A connection as its parts see it: whether it ended, and how to end it. */
export interface Closable {
  /** Whether the connection has ended. */
  readonly closed: boolean;
  /**
   * Closes the connection with `code`; idempotent.
   *
   * @param code WebSocket close code.
   * @param reason Short human-readable reason.
   */
  close(code: number, reason: string): void;
}

/** The parts of {@linkcode ConnectionContext}. */
export interface ConnectionContextParts {
  /** The connection itself. */
  connection: Closable;
  /** The connection's id, for logs and to mark its own arrival. */
  connectionId: string;
  /** Writes to the connection's socket. */
  writer: SocketWriter;
  /** Shared timer that waits for send buffers to drain. */
  drainWatcher: DrainWatcher;
  /** Events that may wait for the connection in each room before it is cut off. */
  maxQueueLength: number;
  /** Ends the connection as a slow consumer; the writer's callback too. */
  cutOff: () => void;
}

/**
 * One connection's shared state and ends.
 *
 * @example Ending a connection through its context
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionContext } from "./connection_context.ts";
 * import type { DrainWatcher } from "./drain_watcher.ts";
 * import type { SocketWriter } from "./socket_writer.ts";
 *
 * const codes: number[] = [];
 * const context = new ConnectionContext({
 *   connection: { closed: false, close: (code) => codes.push(code) },
 *   connectionId: "c1",
 *   writer: {} as SocketWriter,
 *   drainWatcher: {} as DrainWatcher,
 *   maxQueueLength: 10,
 *   cutOff: () => codes.push(1013),
 * });
 * context.cutOff();
 * context.close(1000, "Bye");
 * assert.deepEqual(codes, [1013, 1000]);
 * ```
 */
export class ConnectionContext implements Closable {
  /** The connection's id, which marks the announcement of its own arrival. */
  readonly connectionId: string;
  /** Writes to the connection's socket. */
  readonly writer: SocketWriter;
  /** Shared timer that waits for send buffers to drain. */
  readonly drainWatcher: DrainWatcher;
  /** Events that may wait for the connection in each room before it is cut off. */
  readonly maxQueueLength: number;
  /**
   * Ends the connection as a slow consumer. A function, not a method: every
   * room's subscription takes this one as its `onSlowConsumer`.
   */
  readonly cutOff: () => void;
  #connection: Closable;

  /** A context made of `parts`. */
  constructor(parts: ConnectionContextParts) {
    this.#connection = parts.connection;
    this.connectionId = parts.connectionId;
    this.writer = parts.writer;
    this.drainWatcher = parts.drainWatcher;
    this.maxQueueLength = parts.maxQueueLength;
    this.cutOff = parts.cutOff;
  }

  /** Whether the connection has ended. */
  get closed(): boolean {
    return this.#connection.closed;
  }

  /**
   * Closes the connection; idempotent.
   *
   * @param code WebSocket close code.
   * @param reason Short human-readable reason.
   */
  close(code: number, reason: string): void {
    this.#connection.close(code, reason);
  }

  /**
   * Logs `event` and ends the connection after delivery failed unexpectedly.
   *
   * @param event What failed, for the log.
   * @param error Why.
   */
  fail(event: string, error: unknown): void {
    log("error", event, { id: this.connectionId, error });
    this.#connection.close(CloseCode.internalError, "Internal error");
  }
}
