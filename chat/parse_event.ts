/**
 * Reading events that come from outside this process (the bus between
 * instances, the stored log) without trusting them: every field is checked,
 * and what fails is reported by reason rather than thrown, so one bad event
 * is dropped and never stalls a room or reaches a client.
 *
 * @module
 */
import type { DropReason } from "./bus_metrics.ts";
import type {
  Author,
  ChatMessage,
  DeleteEvent,
  EditEvent,
  LogEntry,
  Member,
  PresenceEvent,
  TypingEvent,
} from "./events.ts";
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

/**
 * Whether `value` can be a user id.
 *
 * @param value Anything.
 * @returns Whether it is a string of 1 to 128 characters.
 */
export function isUserId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 &&
    value.length <= MAX_USER_ID_LENGTH;
}

function isName(value: unknown): value is string {
  return typeof value === "string" && value.length <= MAX_NAME_UNITS;
}

function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** The author fields of an entry, checked; `undefined` when one is bad. */
function parseAuthor(fields: Record<string, unknown>): Author | undefined {
  const { user, userId, guest, bot } = fields;
  if (
    !isName(user) || (userId !== undefined && !isUserId(userId)) ||
    (guest !== undefined && guest !== true) ||
    (bot !== undefined && bot !== true)
  ) {
    return undefined;
  }
  const author: Author = { user };
  if (userId !== undefined) author.userId = userId;
  if (guest) author.guest = true;
  if (bot) author.bot = true;
  return author;
}

/**
 * Builds a message of `room` from stored or received fields, checking each.
 *
 * @param room The room it belongs to.
 * @param fields `id`, `ts`, `user`, `text` and, when present, `userId`,
 *   `guest`, `bot`, `edited` and `deleted`; other fields are ignored.
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
  const { id, ts, text, edited, deleted } = fields;
  if (!isMessageId(id)) return "id";
  const author = parseAuthor(fields);
  if (
    !isTime(ts) || author === undefined || typeof text !== "string" ||
    (edited !== undefined && !isTime(edited)) ||
    (deleted !== undefined && deleted !== true)
  ) {
    return "shape";
  }
  const message: ChatMessage = {
    type: "message",
    id,
    room,
    ts,
    ...author,
    text,
  };
  if (edited !== undefined) message.edited = edited;
  if (deleted) message.deleted = true;
  return message;
}

/**
 * Builds an edit or a deletion of `room` from stored or received fields,
 * checking each. An edit's text is `""` once its message was deleted.
 *
 * @param room The room it belongs to.
 * @param fields `type` (or a store's `kind`), `id`, `ts`, `target`, the
 *   author's fields and, for an edit, `text`.
 * @returns The entry, or why it is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAmendment } from "./parse_event.ts";
 *
 * const entry = parseAmendment("r", { type: "delete", id: 5, ts: 0, user: "Ada", target: 2 });
 * assert.deepEqual(entry, { type: "delete", id: 5, room: "r", ts: 0, user: "Ada", target: 2 });
 * assert.equal(parseAmendment("r", { type: "delete", id: 5, ts: 0, user: "Ada", target: 9 }), "id");
 * ```
 */
export function parseAmendment(
  room: string,
  fields: Record<string, unknown>,
): EditEvent | DeleteEvent | DropReason {
  const { id, ts, target, text } = fields;
  const type = fields.type ?? fields.kind;
  if (!isMessageId(id) || !isMessageId(target) || target >= id) return "id";
  const author = parseAuthor(fields);
  if (!isTime(ts) || author === undefined) return "shape";
  if (type === "delete") return { type, id, room, ts, ...author, target };
  if (type !== "edit" || typeof text !== "string") return "shape";
  return { type, id, room, ts, ...author, target, text };
}

/**
 * Builds any entry of `room`'s log from stored or received fields.
 *
 * @param room The room it belongs to.
 * @param fields A message's, an edit's or a deletion's fields.
 * @returns The entry, or why it is not one.
 */
export function parseLogEntry(
  room: string,
  fields: Record<string, unknown>,
): LogEntry | DropReason {
  const type = fields.type ?? fields.kind;
  return type === undefined || type === "message"
    ? parseMessage(room, fields)
    : parseAmendment(room, fields);
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
 * @returns The log entry, presence or typing event, with only its known fields, or why it was refused.
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
): LogEntry | PresenceEvent | TypingEvent | DropReason {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return "json";
  }
  if (!isRecord(value)) return "shape";
  if (value.room !== room) return "room";
  switch (value.type) {
    case "message":
    case "edit":
    case "delete":
      return parseLogEntry(room, value);
    case "presence":
      return parsePresence(room, value);
    case "typing": {
      const user = parseMember(value.user);
      return user === undefined ? "shape" : { type: "typing", room, user };
    }
    default:
      return "shape";
  }
}
