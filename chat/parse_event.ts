/**
 * Reading events that come from outside this process (the bus between
 * instances, the stored log) without trusting them: every field is checked,
 * and what fails is reported by reason rather than thrown, so one bad event
 * is dropped and never stalls a room or reaches a client.
 *
 * @module
 */
import type { DropReason } from "./bus_metrics.ts";
import type { ChatMessage, Member, PresenceEvent } from "./events.ts";
import { MAX_USER_ID_LENGTH } from "./rooms.ts";

/** Longest display name, in characters (code points). */
export const MAX_NAME_LENGTH = 32;
/** A display name's most UTF-16 code units: two per code point at most. */
const MAX_NAME_UNITS = MAX_NAME_LENGTH * 2;

/**
 * Whether `id` can be a message id: a positive safe integer.
 *
 * @param id Anything.
 * @returns Whether it is one.
 */
export function isMessageId(id: unknown): id is number {
  return typeof id === "number" && Number.isSafeInteger(id) && id > 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isUserId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 &&
    value.length <= MAX_USER_ID_LENGTH;
}

function isName(value: unknown): value is string {
  return typeof value === "string" && value.length <= MAX_NAME_UNITS;
}

/**
 * Builds a message of `room` from stored or received fields, checking each.
 *
 * @param room The room it belongs to.
 * @param fields `id`, `ts`, `user`, `text` and, when present, `userId` and
 *   `guest`; other fields are ignored.
 * @returns The message, or why it is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMessage } from "./parse_event.ts";
 *
 * const message = parseMessage("r", { id: 1, ts: 0, user: "ada", text: "hi" });
 * assert.deepEqual(message, { type: "message", id: 1, room: "r", ts: 0, user: "ada", text: "hi" });
 * assert.equal(parseMessage("r", { id: 1e308, ts: 0, user: "ada", text: "hi" }), "id");
 * ```
 */
export function parseMessage(
  room: string,
  fields: Record<string, unknown>,
): ChatMessage | DropReason {
  const { id, ts, user, userId, guest, text } = fields;
  if (!isMessageId(id)) return "id";
  if (
    typeof ts !== "number" || !Number.isSafeInteger(ts) || ts < 0 ||
    !isName(user) || typeof text !== "string" ||
    (userId !== undefined && !isUserId(userId)) ||
    (guest !== undefined && guest !== true)
  ) {
    return "shape";
  }
  const message: ChatMessage = { type: "message", id, room, ts, user, text };
  if (userId !== undefined) message.userId = userId;
  if (guest) message.guest = true;
  return message;
}

/**
 * Builds a member from received fields, checking each.
 *
 * @param value Anything.
 * @returns The member with only its known fields, or `undefined` when it is not one.
 */
export function parseMember(value: unknown): Member | undefined {
  if (!isRecord(value)) return undefined;
  const { id, name, guest } = value;
  if (
    !isUserId(id) || !isName(name) || (guest !== undefined && guest !== true)
  ) {
    return undefined;
  }
  return guest ? { id, name, guest } : { id, name };
}

function parseMembers(value: unknown): Member[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const members = value.map(parseMember);
  return members.every((member) => member !== undefined)
    ? members as Member[]
    : undefined;
}

function parsePresence(
  room: string,
  fields: Record<string, unknown>,
): PresenceEvent | DropReason {
  const joined = parseMembers(fields.joined);
  const left = parseMembers(fields.left);
  const { memberCount } = fields;
  if (
    joined === undefined || left === undefined ||
    (memberCount !== undefined &&
      (typeof memberCount !== "number" ||
        !Number.isSafeInteger(memberCount) || memberCount < 0))
  ) {
    return "shape";
  }
  const event: PresenceEvent = { type: "presence", room, joined, left };
  if (memberCount !== undefined) event.memberCount = memberCount;
  return event;
}

/**
 * Parses one event's JSON frame as received from another instance.
 *
 * @param json The frame.
 * @param room The room it was sent to, which the event must name.
 * @returns The message or presence event, with only its known fields, or why it was refused.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseEvent } from "./parse_event.ts";
 *
 * const ada = { id: "u1", name: "Ada" };
 * const event = parseEvent(JSON.stringify({ type: "presence", room: "r", joined: [ada], left: [] }), "r");
 * assert.deepEqual(event, { type: "presence", room: "r", joined: [ada], left: [] });
 * assert.equal(parseEvent("not json", "r"), "json");
 * assert.equal(parseEvent('{"type":"presence","room":"other","joined":[],"left":[]}', "r"), "room");
 * ```
 */
export function parseEvent(
  json: string,
  room: string,
): ChatMessage | PresenceEvent | DropReason {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return "json";
  }
  if (!isRecord(value)) return "shape";
  if (value.room !== room) return "room";
  if (value.type === "message") return parseMessage(room, value);
  if (value.type === "presence") return parsePresence(room, value);
  return "shape";
}
