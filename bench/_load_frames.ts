/**
 * The frames a load socket sends (a join, a stamped chat message) and the
 * `ack` it recognises, without decoding strings.
 *
 * @module
 */
import { encodeFrame, Opcode } from "../testing/wire.ts";
import type { LoadClientSettings } from "./load_client.ts";

const encoder = new TextEncoder();
/** How an `ack` frame starts (`JSON.stringify` puts `type` first). */
const ACK_PREFIX = encoder.encode('{"type":"ack"');

/**
 * The `chat.v1` join of the room every load socket is in.
 *
 * @returns A text frame.
 */
export function joinFrame(): Uint8Array {
  return encodeFrame(
    Opcode.text,
    encoder.encode(JSON.stringify({ type: "join", room: "general" })),
  );
}

/**
 * Whether the payload `data[start, end)` is an `ack`.
 *
 * @param data The bytes read.
 * @param start Where the payload starts.
 * @param end Where it ends.
 * @returns `true` for an `ack`.
 */
export function isAck(data: Uint8Array, start: number, end: number): boolean {
  if (end - start < ACK_PREFIX.length) return false;
  for (let i = 0; i < ACK_PREFIX.length; i++) {
    if (data[start + i] !== ACK_PREFIX[i]) return false;
  }
  return true;
}

/**
 * A chat message stamped `@P.T` (this process's index, the time now in
 * microseconds): plain text, or a `chat.v1` `send`.
 *
 * @param settings The process's index and protocol.
 * @param nonce The `send`'s nonce, for the `acked` mode.
 * @returns A text frame.
 */
export function messageFrame(
  settings: LoadClientSettings,
  nonce?: string,
): Uint8Array {
  const text = `@${settings.index}.${Math.round(performance.now() * 1000)}`;
  const withNonce = nonce === undefined ? "" : `,"nonce":"${nonce}"`;
  return encodeFrame(
    Opcode.text,
    encoder.encode(
      settings.mode === "json"
        ? `{"type":"send","room":"general","text":"${text}"${withNonce}}`
        : text,
    ),
  );
}
