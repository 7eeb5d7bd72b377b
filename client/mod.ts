/**
 * A client for the chat server's `chat.v1` protocol, with no dependencies:
 * it runs in Deno, in browsers without a build step (the server serves it as
 * JavaScript under `/client/mod.js`), in Node and in Bun.
 *
 * - It reconnects by itself with exponential back-off and jitter, and its
 *   connection state can be watched.
 * - Each room resumes after every reconnect, so each message arrives once and
 *   in order.
 * - `send()` resolves on the server's `ack`; messages wait in an outbox and
 *   are sent again with the same nonce until stored, across reconnects and,
 *   with a {@linkcode StorageOutbox}, across page reloads.
 * - Requests are paced to the limits the server advertises.
 *
 * @example Join a room and send
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHandler } from "../main.ts";
 * import { ChatClient } from "./mod.ts";
 *
 * await using chat = createHandler();
 * await using server = Deno.serve({ port: 0, onListen() {} }, chat);
 * await using client = new ChatClient(`ws://localhost:${server.addr.port}/ws`, { name: "Ada" });
 * const room = client.join("general");
 * const ack = await room.send("Hello");
 * assert.equal(ack.duplicate, false);
 * ```
 *
 * @module
 */
export { ChatClient } from "./client.ts";
export type {
  ChatClientOptions,
  ClientErrorEvent,
  ClientEvent,
  ConnectionState,
  JoinOptions,
  StateEvent,
  UserEvent,
} from "./options.ts";
export type {
  HistoryOptions,
  HistoryPage,
  IterateOptions,
  JoinedEvent,
  LeftEvent,
  PendingEvent,
  PendingMessage,
  Room,
  RoomEvent,
  RoomStatus,
} from "./room.ts";
export { ChatError } from "./errors.ts";
export {
  backoffDelay,
  type BackoffOptions,
  type Clock,
  SYSTEM_CLOCK,
} from "./backoff.ts";
export {
  MemoryOutbox,
  type Outbox,
  type OutboxEntry,
  StorageOutbox,
  type StorageOutboxOptions,
} from "./outbox.ts";
export { type PacerLimits, SendPacer } from "./pacer.ts";
export type {
  Ack,
  AuthenticatedUser,
  Author,
  ChatMessage,
  ClientLimits,
  DeleteEvent,
  EditEvent,
  ErrorCode,
  LogEntry,
  Member,
  Moderated,
  ModeratedEvent,
  PresenceEvent,
  ResetEvent,
  RoomInfo,
  ServerErrorCode,
  TypingEvent,
} from "./types.ts";
