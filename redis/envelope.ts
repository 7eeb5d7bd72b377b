/**
 * The envelope an event travels in on the Redis channel, and reading it back
 * without trusting it: anyone who can publish to the channel can send
 * anything, so every field is checked and the event is encoded again from
 * what passed, never forwarded as received.
 *
 * @module
 */
import type { DropReason } from "../chat/bus_metrics.ts";
import {
  type Broadcast,
  broadcastOf,
  presenceBroadcast,
} from "../chat/events.ts";
import { parseEvent } from "../chat/parse_event.ts";
import { isRoomName } from "../chat/rooms.ts";

/** Longest id of a sending process or of a connection, or epoch, in characters. */
const MAX_ID_LENGTH = 64;
/**
 * Room for the envelope's own fields. The event's JSON is escaped once more
 * inside the envelope, and the plain text travels beside it, so an envelope
 * can be several times the size of its message's text.
 */
const ENVELOPE_OVERHEAD = 4096;
/** How many times the text's bytes an envelope may take (JSON escapes, twice, and the plain copy). */
const ENVELOPE_TEXT_FACTOR = 8;

/** What travels on the channel: the room, the sending process and the event. */
interface Envelope {
  room: string;
  from: string;
  json: string;
  plain: string | null;
  id: number | null;
  origin?: string;
  /** The epoch a message's id belongs to. */
  epoch?: string;
}

/** An event read from the channel. */
export interface Received {
  room: string;
  /** The sending process. */
  from: string;
  broadcast: Broadcast;
}

/** Why an envelope was refused, and the room it named when it named one. */
export interface Refused {
  reason: DropReason;
  room?: string;
}

/**
 * The largest envelope an event of `maxMessageBytes` of text can need.
 *
 * @param maxMessageBytes Largest message text, in UTF-8 bytes.
 * @returns Characters an envelope may have.
 */
export function maxEnvelopeLength(maxMessageBytes: number): number {
  return maxMessageBytes * ENVELOPE_TEXT_FACTOR + ENVELOPE_OVERHEAD;
}

/**
 * What every envelope from instance `from` holds, as {@linkcode encodeEnvelope}
 * (and the history's scripts) write it: its `from` member. Found in the raw
 * text, it tells an instance its own envelopes without parsing them; a
 * string inside an envelope has its quotes escaped, so only the member
 * itself can match.
 *
 * @param from An instance's id.
 * @returns The text to look for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeEnvelope, ownMark } from "./envelope.ts";
 * import { broadcastOf } from "../chat/events.ts";
 *
 * const raw = encodeEnvelope("general", "a1", broadcastOf({ type: "message", id: 1, room: "general", ts: 0, user: "Ada", text: 'say ,"from":"a1",' }));
 * assert.ok(raw.includes(ownMark("a1")));
 * assert.ok(!encodeEnvelope("general", "b2", broadcastOf({ type: "message", id: 1, room: "general", ts: 0, user: "Ada", text: ',"from":"a1",' })).includes(ownMark("a1")));
 * ```
 */
export function ownMark(from: string): string {
  return `,"from":${JSON.stringify(from)},`;
}

/**
 * Encodes an event for the channel.
 *
 * @param room Its room.
 * @param from The sending process's id.
 * @param broadcast The event.
 * @returns The envelope's JSON.
 */
export function encodeEnvelope(
  room: string,
  from: string,
  broadcast: Broadcast,
): string {
  const envelope: Envelope = {
    room,
    from,
    json: broadcast.json,
    plain: broadcast.plain,
    id: broadcast.id,
  };
  if (broadcast.origin !== undefined) envelope.origin = broadcast.origin;
  if (broadcast.epoch !== undefined) envelope.epoch = broadcast.epoch;
  return JSON.stringify(envelope);
}

function isId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 &&
    value.length <= MAX_ID_LENGTH;
}

/**
 * Reads an envelope from the channel: its size, its fields, the room name
 * and the event inside, which must be a valid log entry (with the
 * envelope's id), presence or typing event of that room.
 *
 * @param raw What the channel delivered.
 * @param maxLength Longest envelope accepted, in characters.
 * @returns The event, encoded afresh, or why the envelope was refused.
 *
 * @example A round trip, and a forged id
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeEnvelope, encodeEnvelope } from "./envelope.ts";
 * import { broadcastOf } from "../chat/events.ts";
 *
 * const message = { type: "message" as const, id: 7, room: "r", ts: 0, user: "ada", text: "hi" };
 * const raw = encodeEnvelope("r", "instance-a", broadcastOf(message));
 * const received = decodeEnvelope(raw, 10_000);
 * assert.ok("broadcast" in received);
 * assert.equal(received.broadcast.id, 7);
 * const forged = raw.replace('"id":7}', '"id":1e308}');
 * assert.deepEqual(decodeEnvelope(forged, 10_000), { reason: "id", room: "r" });
 * ```
 */
export function decodeEnvelope(
  raw: string,
  maxLength: number,
): Received | Refused {
  if (raw.length > maxLength) return { reason: "size" };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { reason: "json" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { reason: "shape" };
  }
  const { room, from, json, plain, id, origin, epoch } = value as Record<
    string,
    unknown
  >;
  if (!isRoomName(room)) return { reason: "room" };
  if (
    !isId(from) || typeof json !== "string" ||
    (plain !== null && typeof plain !== "string") ||
    (origin !== undefined && !isId(origin))
  ) {
    return { reason: "shape", room };
  }
  if (epoch !== undefined && !isId(epoch)) return { reason: "epoch", room };
  const event = parseEvent(json, room);
  if (typeof event === "string") return { reason: event, room };
  if (
    event.type === "message" || event.type === "edit" ||
    event.type === "delete"
  ) {
    if (event.id !== id) return { reason: "id", room };
    return { room, from, broadcast: broadcastOf(event, epoch) };
  }
  if (id !== null) return { reason: "id", room };
  return { room, from, broadcast: presenceBroadcast(event, origin) };
}
