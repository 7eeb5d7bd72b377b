/**
 * Closing a server socket so that its peer receives the close code even
 * while it keeps sending.
 *
 * Deno's `close()` queues the close frame and turns the socket to CLOSING;
 * its read loop then drops the connection at the first data frame that
 * arrives while CLOSING, usually before the close frame is written
 * (`ext/websocket/01_websocket.js`, Deno 2.9.6). A client still sending
 * when the server ends it therefore saw EOF or a reset instead of 1003,
 * 1008, 1009 or 1013 (measured: at most 1 time in 10). Setting Deno's
 * internal state back to OPEN after `close()` keeps its read loop reading
 * (the connection discards what it reads) until the peer answers with its
 * own close frame, as RFC 6455 section 1.4 expects; a peer that keeps
 * sending past a timeout is dropped at its next frame, and a silent one by
 * the ping timeout. The state is a private field, found by its symbol's
 * description; without it, `close()` behaves as before.
 *
 * @module
 */
import { CLOSING, OPEN } from "./ready_state.ts";

/** The description of the symbol Deno keeps a WebSocket's state under. */
const READY_STATE = "[[readyState]]";

/** Options for {@linkcode closeAndDrain}. */
export interface CloseAndDrainOptions {
  /**
   * Milliseconds the peer may go on sending after the close; its first
   * frame after that drops the connection.
   */
  timeoutMs: number;
  /**
   * Clock in milliseconds.
   *
   * @default {performance.now}
   */
  now?: () => number;
}

/** The symbol of `socket`'s internal state, when this Deno has one. */
function stateSymbol(socket: WebSocket): symbol | undefined {
  return Object.getOwnPropertySymbols(socket).find((symbol) =>
    symbol.description === READY_STATE
  );
}

/**
 * Sends a close frame with `code` and `reason`, then keeps reading the
 * socket (the caller ignores its messages) until the peer closes, it stops
 * sending for the ping timeout, or it sends past `options.timeoutMs`.
 * While draining, `readyState` reads OPEN: the caller must stop writing on
 * its own.
 *
 * @param socket An open server-side WebSocket.
 * @param code The close code.
 * @param reason The close reason, at most 123 bytes.
 * @param options How long a peer may go on sending.
 *
 * @example A client that keeps sending still receives the code
 * ```ts
 * import assert from "node:assert/strict";
 * import { closeAndDrain } from "./closing_handshake.ts";
 *
 * await using server = Deno.serve({ port: 0, onListen() {} }, (req) => {
 *   const { socket, response } = Deno.upgradeWebSocket(req);
 *   let ended = false;
 *   socket.onmessage = () => {
 *     if (ended) return; // readyState reads OPEN while draining
 *     ended = true;
 *     closeAndDrain(socket, 1008, "Rate limit exceeded", { timeoutMs: 2000 });
 *   };
 *   return response;
 * });
 * const client = new WebSocket(`ws://localhost:${server.addr.port}`);
 * client.onopen = () => {
 *   for (let i = 0; i < 1000; i++) client.send("spam");
 * };
 * const closed = await new Promise<CloseEvent>((resolve) => {
 *   client.onclose = resolve;
 * });
 * assert.equal(closed.code, 1008);
 * ```
 */
export function closeAndDrain(
  socket: WebSocket,
  code: number,
  reason: string,
  options: CloseAndDrainOptions,
): void {
  const state = stateSymbol(socket);
  socket.close(code, reason);
  if (state === undefined || socket.readyState !== CLOSING) return;
  const internal = socket as unknown as Record<symbol, number>;
  internal[state] = OPEN;
  const now = options.now ?? performance.now.bind(performance);
  const deadline = now() + options.timeoutMs;
  const onMessage = () => {
    if (now() < deadline) return;
    // Deno drops the connection at the next frame read while CLOSING.
    internal[state] = CLOSING;
    socket.removeEventListener("message", onMessage);
  };
  socket.addEventListener("message", onMessage);
  socket.addEventListener(
    "close",
    () => socket.removeEventListener("message", onMessage),
    { once: true },
  );
}
