/**
 * A connection's `rooms` request: the room directory, the public rooms
 * where someone is present on any instance (`chat/directory.ts`), answered
 * with `rooms`.
 *
 * @module
 */
import { log } from "../observability/log.ts";
import { ProtocolError } from "./protocol.ts";
import type { JoinContext } from "./room_join.ts";

/**
 * Answers a `rooms` request with the directory, or `unavailable` when the
 * stores cannot be read.
 *
 * @param context Where the directory is read, and where the answer goes.
 * @param nonce The request's nonce, which the answer carries.
 */
export function sendDirectory(
  context: Pick<JoinContext, "chat" | "writer" | "connectionId" | "closed">,
  nonce?: string,
): void {
  const { chat, writer, connectionId } = context;
  chat.directory().then(
    (rooms) =>
      writer.reply(
        nonce === undefined
          ? { type: "rooms", rooms }
          : { type: "rooms", rooms, nonce },
      ),
    (error) => {
      // A read cut short by the connection's end (shutdown) is no fault.
      log(context.closed() ? "debug" : "error", "room.directory_failed", {
        id: connectionId,
        error,
      });
      writer.error(
        new ProtocolError("unavailable", "Cannot list rooms now", nonce),
      );
    },
  );
}
