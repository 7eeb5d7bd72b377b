/**
 * Opening the next socket of a connection and taking it through the
 * handshake: it asks for the client's display name, signs in with the token
 * once it opens, and is ready once greeted and signed in. Of all the client's
 * sockets only the one in use is heard from, so a late frame or close of one
 * given up on changes nothing.
 *
 * @module
 */
import { ChatError } from "./errors.ts";
import type { Handshake } from "./_handshake.ts";
import type { SocketSet } from "./_sockets.ts";
import type { ServerFrame } from "./types.ts";

/** The frames past the greeting and the sign-in, for the rest of the client. */
export type RoutedFrame = Exclude<
  ServerFrame,
  { type: "hello" | "authenticated" }
>;

/** What {@linkcode dial} needs besides the sockets. */
export interface DialOptions {
  /** Names the client, signs the socket in, and says when it is ready. */
  handshake: Handshake;
  /** The token to sign in with; the guest key when `undefined`. */
  token: string | undefined;
  /** Whether `socket` is still the one in use. */
  inUse(socket: WebSocket): boolean;
  /** The socket in use was greeted and signed in (again, for each greeting or sign-in after). */
  ready(): void;
  /** A frame that is not the greeting or the answer to a sign-in arrived on the socket in use. */
  frame(frame: RoutedFrame): void;
  /** The socket in use closed with `code`. */
  closed(code: number): void;
}

/**
 * Opens a socket, which must then greet before it may be used.
 *
 * @param sockets The client's sockets.
 * @param options The handshake, the token, and where the socket's events go.
 * @returns The socket, connecting.
 * @throws {ChatError} `disconnected`, when the runtime refuses to open one.
 */
export function dial(sockets: SocketSet, options: DialOptions): WebSocket {
  const { handshake, token } = options;
  let socket: WebSocket;
  try {
    socket = sockets.open(handshake.user, {
      open: () => handshake.opened(token),
      frame: (frame) => {
        if (options.inUse(socket)) receive(frame, options);
      },
      closed: (code) => {
        if (options.inUse(socket)) options.closed(code);
      },
    });
  } catch (error) {
    // A page may not open it (an insecure ws: from an https: page).
    throw new ChatError("disconnected", "Cannot open a WebSocket", {
      cause: error,
    });
  }
  handshake.connecting();
  return socket;
}

/** Hands the handshake's frames to it, and the rest on. */
function receive(frame: ServerFrame, options: DialOptions): void {
  const { handshake } = options;
  switch (frame.type) {
    case "hello":
      handshake.hello(frame);
      return readyIfSignedIn(options);
    case "authenticated":
      handshake.authenticated(frame);
      return readyIfSignedIn(options);
    case "error":
      if (handshake.refused(frame)) return;
  }
  options.frame(frame);
}

/** Tells the connection once the socket was both greeted and signed in. */
function readyIfSignedIn(options: DialOptions): void {
  if (options.handshake.ready) options.ready();
}
