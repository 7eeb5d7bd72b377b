/**
 * Soak peers that stop reading: one that never reads after joining, and one
 * that reads its `joined` replies and then freezes.
 *
 * @module
 */
import { encodeFrame, Opcode, upgradeTcp } from "../testing/wire.ts";
import { JSON_PROTOCOL } from "../server/protocol.ts";
import { TcpWebSocket } from "./tcp_websocket.ts";

/**
 * Opens a `chat.v1` connection on raw TCP, joins `rooms` and then never
 * reads again: a consumer that stopped keeping up.
 *
 * @param port The server's port.
 * @param rooms Rooms to join.
 * @returns The connection; closing it with unread data resets it.
 */
export async function openStalledPeer(
  port: number,
  rooms: readonly string[],
): Promise<Deno.TcpConn> {
  const { conn } = await upgradeTcp(`ws://127.0.0.1:${port}/ws`, {
    protocol: JSON_PROTOCOL,
  });
  for (const room of rooms) {
    await conn.write(encodeFrame(
      Opcode.text,
      new TextEncoder().encode(JSON.stringify({ type: "join", room })),
    ));
  }
  return conn;
}

/**
 * Opens a `chat.v1` connection, joins `rooms`, reads every `joined` reply
 * (members and history) and then stops reading: a client that kept up until
 * it froze, like a suspended browser tab.
 *
 * @param wsUrl The server's `/ws` URL.
 * @param rooms Rooms to join.
 * @returns The connection; disposing of it with unread data resets it.
 */
export async function openFrozenPeer(
  wsUrl: string,
  rooms: readonly string[],
): Promise<TcpWebSocket> {
  let joined = 0;
  let nextJoined = Promise.withResolvers<void>();
  const socket = await TcpWebSocket.connect(wsUrl, {
    protocol: JSON_PROTOCOL,
    onText(text) {
      const data = JSON.parse(text);
      for (const item of Array.isArray(data) ? data : [data]) {
        if (item.type !== "joined") continue;
        // Stop before the read loop asks for more.
        if (++joined === rooms.length) socket.stopReading();
        nextJoined.resolve();
      }
    },
  });
  const closed = socket.closed.then((code) => {
    throw new Error(`Closed before joining: ${code}`);
  });
  closed.catch(() => {});
  // One join at a time, as a client that waits for each reply.
  for (const room of rooms) {
    nextJoined = Promise.withResolvers<void>();
    socket.send(JSON.stringify({ type: "join", room }));
    await Promise.race([nextJoined.promise, closed]);
  }
  return socket;
}
