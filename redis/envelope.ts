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

/**
 * What {@linkcode encodeEnvelope} writes: the room, the sending process and
 * one event. The history's scripts write the log entries one write stored
 * as `entries` instead (see {@linkcode ENTRIES_ENVELOPE_CHARS}).
 */
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

/**
 * Characters of entries the history's scripts gather in one envelope before
 * they publish it and start the next: a stored batch goes out in one
 * `PUBLISH`, read by each instance in one go, rather than one per message.
 * An envelope then holds one entry of any size, or entries that together
 * stay below this, well inside {@linkcode maxEnvelopeLength} for any text
 * limit.
 */
export const ENTRIES_ENVELOPE_CHARS = 3072;

/** Events read from the channel: one, or a stored batch in id order. */
export interface Received {
  room: string;
  /** The sending process. */
  from: string;
  broadcasts: Broadcast[];
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
 * and the events inside. A single event must be a valid log entry (with the
 * envelope's id), presence or typing event of that room; a batch
 * (`entries`: `json`, `plain` and `id` each) must hold log entries only.
 * One bad entry refuses the whole envelope: the room reads what it missed
 * from the log.
 *
 * @param raw What the channel delivered.
 * @param maxLength Longest envelope accepted, in characters.
 * @returns The events, encoded afresh, or why the envelope was refused.
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
 * assert.ok("broadcasts" in received);
 * assert.equal(received.broadcasts[0]?.id, 7);
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
  if (!isRecord(value)) return { reason: "shape" };
  const { room, from, origin, epoch, entries } = value;
  if (!isRoomName(room)) return { reason: "room" };
  if (!isId(from) || (origin !== undefined && !isId(origin))) {
    return { reason: "shape", room };
  }
  if (epoch !== undefined && !isId(epoch)) return { reason: "epoch", room };
  if (entries === undefined) {
    const broadcast = decodeEvent(value, room, epoch, origin);
    return "reason" in broadcast
      ? broadcast
      : { room, from, broadcasts: [broadcast] };
  }
  if (
    !Array.isArray(entries) || entries.length === 0 ||
    value.json !== undefined || origin !== undefined
  ) {
    return { reason: "shape", room };
  }
  const broadcasts: Broadcast[] = [];
  for (const entry of entries) {
    if (!isRecord(entry)) return { reason: "shape", room };
    const broadcast = decodeEvent(entry, room, epoch, undefined);
    if ("reason" in broadcast) return broadcast;
    if (broadcast.id === null) return { reason: "id", room };
    broadcasts.push(broadcast);
  }
  return { room, from, broadcasts };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One event of room `room` from its `json`, `plain` and `id` fields. */
function decodeEvent(
  fields: Record<string, unknown>,
  room: string,
  epoch: string | undefined,
  origin: string | undefined,
): Broadcast | Refused {
  const { json, plain, id } = fields;
  if (
    typeof json !== "string" || (plain !== null && typeof plain !== "string")
  ) {
    return { reason: "shape", room };
  }
  const event = parseEvent(json, room);
  if (typeof event === "string") return { reason: event, room };
  if (
    event.type === "message" || event.type === "edit" ||
    event.type === "delete"
  ) {
    if (event.id !== id) return { reason: "id", room };
    return broadcastOf(event, epoch);
  }
  if (id !== null) return { reason: "id", room };
  return presenceBroadcast(event, origin);
}
