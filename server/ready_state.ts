/**
 * The `WebSocket` ready states, read once. Deno defines the `WebSocket`
 * global as a getter, so every `WebSocket.OPEN` is a function call: on the
 * delivery path, once per socket and batch, that was a measurable share of
 * the server's JavaScript time.
 *
 * @module
 */

/** `WebSocket.CONNECTING`: the handshake is not complete. */
export const CONNECTING: number = WebSocket.CONNECTING;
/** `WebSocket.OPEN`: frames can be sent. */
export const OPEN: number = WebSocket.OPEN;
/** `WebSocket.CLOSING`: a close frame was sent or received. */
export const CLOSING: number = WebSocket.CLOSING;
/** `WebSocket.CLOSED`: the connection is gone. */
export const CLOSED: number = WebSocket.CLOSED;
