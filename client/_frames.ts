/**
 * Reading the server's frames without trusting them: a frame is one event or
 * an array of events, and each event must have the fields the client reads,
 * of the right types. Events of types this client does not know are skipped,
 * so a newer server can add some.
 *
 * @module
 */
import type { ServerFrame } from "./types.ts";

type Kind =
  | "string"
  | "number"
  | "boolean"
  | "object"
  | "entries"
  | "member"
  | "members"
  | "rooms";

/** The kinds of entry a room's log holds. */
const ENTRY_TYPES: ReadonlySet<unknown> = new Set([
  "message",
  "edit",
  "delete",
]);

/** The fields the client relies on, by event type. */
const FIELDS: Record<string, Record<string, Kind>> = {
  hello: { user: "string", connectionId: "string", limits: "object" },
  authenticated: { user: "object" },
  joined: {
    room: "string",
    members: "members",
    memberCount: "number",
    messages: "entries",
    truncated: "boolean",
    hasMore: "boolean",
    epoch: "string",
  },
  left: { room: "string" },
  message: {
    room: "string",
    id: "number",
    ts: "number",
    user: "string",
    text: "string",
  },
  history: {
    room: "string",
    messages: "entries",
    hasMore: "boolean",
    epoch: "string",
  },
  edit: {
    room: "string",
    id: "number",
    ts: "number",
    user: "string",
    target: "number",
    text: "string",
  },
  delete: {
    room: "string",
    id: "number",
    ts: "number",
    user: "string",
    target: "number",
  },
  typing: { room: "string", user: "member" },
  presence: { room: "string", joined: "members", left: "members" },
  reset: { room: "string", epoch: "string" },
  ack: {
    room: "string",
    id: "number",
    ts: "number",
    duplicate: "boolean",
    nonce: "string",
  },
  renamed: { user: "string" },
  rooms: { rooms: "rooms" },
  moderated: { action: "string", userId: "string" },
  pong: {},
  error: { code: "string", message: "string" },
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasKind(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case "object":
      return isRecord(value);
    case "member":
      return isMember(value);
    case "members":
      return Array.isArray(value) && value.every(isMember);
    case "entries":
      return Array.isArray(value) && value.every(isEntry);
    case "rooms":
      return Array.isArray(value) && value.every(isRoomInfo);
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
  }
}

function isMember(value: unknown): boolean {
  return isRecord(value) && typeof value.id === "string" &&
    typeof value.name === "string";
}

/** A room of the directory: its name, member count and last activity. */
function isRoomInfo(value: unknown): boolean {
  return isRecord(value) && typeof value.name === "string" &&
    typeof value.memberCount === "number" &&
    (value.lastActivity === null || typeof value.lastActivity === "number");
}

/** A message, an edit or a deletion: an entry of a room's log. */
function isEntry(value: unknown): boolean {
  return isRecord(value) && ENTRY_TYPES.has(value.type) && fits(value);
}

/** Whether `event` has every field its type needs. */
function fits(event: Record<string, unknown>): boolean {
  const fields = FIELDS[String(event.type)];
  if (!fields) return false;
  return Object.entries(fields).every(([name, kind]) =>
    hasKind(event[name], kind)
  );
}

/**
 * Reads one text frame into the events it holds, in order.
 *
 * @param text The frame as received.
 * @returns Its well-formed events of known types; none when it is not JSON.
 */
export function readServerFrame(text: string): ServerFrame[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return [];
  }
  const events = Array.isArray(data) ? data : [data];
  return events.filter((event): event is ServerFrame =>
    isRecord(event) && typeof event.type === "string" && fits(event)
  );
}
