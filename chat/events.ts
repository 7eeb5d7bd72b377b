/**
 * The events the chat publishes to a room's members, and their encoding:
 * each is encoded once, for every recipient and both protocols, before it
 * goes through the broker. The wire protocol (`server/protocol.ts`) sends
 * them as they are; the stores keep and carry them.
 *
 * @module
 */

/** A chat message as every recipient sees it. */
export interface ChatMessage {
  /** Always `"message"`. */
  type: "message";
  /** Unique, increasing within the room. */
  id: number;
  /** The room it was posted in. */
  room: string;
  /** Milliseconds since the Unix epoch, set by the server. */
  ts: number;
  /** The author's display name when the message was sent. */
  user: string;
  /** The author's user id; absent on messages stored before users had ids. */
  userId?: string;
  /** Present, and `true`, when the author was a guest. */
  guest?: true;
  /** Present, and `true`, when the host application's backend posted it (a bot or the system). */
  bot?: true;
  /** The current text; `""` once the message is deleted. */
  text: string;
  /** When the text was last edited, in milliseconds since the Unix epoch; absent if never. */
  edited?: number;
  /** Present, and `true`, on a deleted message: a tombstone whose text is gone. */
  deleted?: true;
}

/** Who made a log entry, as it carries them. */
export interface Author {
  /** The display name at the time. */
  user: string;
  /** The user id; absent on messages stored before users had ids. */
  userId?: string;
  /** Present, and `true`, for a guest. */
  guest?: true;
  /** Present, and `true`, for the host application's backend. */
  bot?: true;
}

/**
 * A message's new text, as an entry of the room's log: it has an id of the
 * room's sequence, so it reaches every member in the room's one order.
 */
export interface EditEvent extends Author {
  /** Always `"edit"`. */
  type: "edit";
  /** This entry's id, in the room's sequence. */
  id: number;
  /** The room. */
  room: string;
  /** When the edit was made, in milliseconds since the Unix epoch. */
  ts: number;
  /** The id of the message edited. */
  target: number;
  /** The message's new text. */
  text: string;
}

/** A message's deletion, as an entry of the room's log (see {@linkcode EditEvent}). */
export interface DeleteEvent extends Author {
  /** Always `"delete"`. */
  type: "delete";
  /** This entry's id, in the room's sequence. */
  id: number;
  /** The room. */
  room: string;
  /** When the message was deleted, in milliseconds since the Unix epoch. */
  ts: number;
  /** The id of the message deleted. */
  target: number;
}

/** An entry of a room's log: a message, or an edit or deletion of one. */
export type LogEntry = ChatMessage | EditEvent | DeleteEvent;

/** Someone in a room is typing; never stored, never replayed. */
export interface TypingEvent {
  /** Always `"typing"`. */
  type: "typing";
  /** The room. */
  room: string;
  /** Who is typing. */
  user: Member;
}

/** A user present in a room, under the name they use now. */
export interface Member {
  /** The user id. */
  id: string;
  /** The current display name. */
  name: string;
  /** Present, and `true`, for a guest. */
  guest?: true;
}

/**
 * Who arrived in or left a room; in a large room, how many are in it. A
 * `joined` entry for a user already listed is a new name for them.
 */
export interface PresenceEvent {
  /** Always `"presence"`. */
  type: "presence";
  /** The room. */
  room: string;
  /** Users that arrived (a `joined` entry for a user already listed is a new name). */
  joined: Member[];
  /** Users that left. */
  left: Member[];
  /** Users present, sent instead of `joined`/`left` entries in a large room. */
  memberCount?: number;
}

/**
 * Orders members by name, then id, the order member lists are sent in.
 *
 * @param a One member.
 * @param b Another.
 * @returns Negative, zero or positive, as `Array.prototype.sort` wants.
 */
export function byName(a: Member, b: Member): number {
  return a.name < b.name
    ? -1
    : a.name > b.name
    ? 1
    : a.id < b.id
    ? -1
    : a.id > b.id
    ? 1
    : 0;
}

/**
 * A room's history was lost or renumbered: its ids start again under a new
 * epoch, and the messages that follow belong to it.
 */
export interface ResetEvent {
  /** Always `"reset"`. */
  type: "reset";
  /** The room whose ids start again. */
  room: string;
  /** The new epoch. */
  epoch: string;
}

/** What goes through the broker: the event encoded once for each protocol. */
export interface Broadcast {
  /** The JSON frame for `chat.v1` clients. */
  readonly json: string;
  /** The frame for plain-text clients, or `null` when they do not see this event. */
  readonly plain: string | null;
  /** The log entry's id, so a joining client can skip what its history already held; `null` for other events. */
  readonly id: number | null;
  /** Id of the connection whose own arrival this announces, which it skips. */
  readonly origin?: string;
  /**
   * For a message, the epoch its id belongs to; for a `reset` event (id
   * `null`), the new epoch. Absent for presence events.
   */
  readonly epoch?: string;
  /** UTF-8 bytes of `json`, counted once for every recipient's metrics; counted per send when absent. */
  readonly jsonBytes?: number;
  /** UTF-8 bytes of `plain` (0 when `null`), counted once like {@linkcode Broadcast.jsonBytes}. */
  readonly plainBytes?: number;
}

/**
 * Encodes an entry of a room's log once for every recipient. Plain-text
 * clients see new messages' text only, never edits or deletions.
 *
 * @param message The message, edit or deletion to broadcast.
 * @param epoch The epoch its id belongs to, when known.
 * @returns Its JSON frame and, for a message, its plain-text frame (the bare text).
 *
 * @example Both encodings
 * ```ts
 * import assert from "node:assert/strict";
 * import { broadcastOf } from "./events.ts";
 *
 * const broadcast = broadcastOf({ type: "message", id: 1, room: "general", ts: 0, user: "ada", text: "hi" });
 * assert.equal(broadcast.plain, "hi");
 * assert.equal(JSON.parse(broadcast.json).text, "hi");
 * ```
 */
export function broadcastOf(message: LogEntry, epoch?: string): Broadcast {
  const json = JSON.stringify(message);
  const plain = message.type === "message" ? message.text : null;
  return {
    json,
    plain,
    id: message.id,
    epoch,
    jsonBytes: utf8Length(json),
    plainBytes: plain === null ? 0 : utf8Length(plain),
  };
}

/**
 * Encodes a room's `reset` event for JSON clients (plain-text clients do
 * not see it).
 *
 * @param room The room whose ids start again.
 * @param epoch Its new epoch.
 * @returns Its JSON frame, marked with the epoch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resetBroadcast } from "./events.ts";
 *
 * const reset = resetBroadcast("general", "3f2a9c0d11b4");
 * assert.deepEqual(JSON.parse(reset.json), { type: "reset", room: "general", epoch: "3f2a9c0d11b4" });
 * assert.equal(reset.plain, null);
 * ```
 */
export function resetBroadcast(room: string, epoch: string): Broadcast {
  const event: ResetEvent = { type: "reset", room, epoch };
  const json = JSON.stringify(event);
  return {
    json,
    plain: null,
    id: null,
    epoch,
    jsonBytes: utf8Length(json),
    plainBytes: 0,
  };
}

/**
 * Encodes a presence or typing event for JSON clients (plain-text clients do
 * not see it). It has no id: it is not in the room's log.
 *
 * @param event The event to broadcast.
 * @param origin The connection the event is about, which does not receive it.
 * @returns Its JSON frame.
 *
 * @example A typing event
 * ```ts
 * import assert from "node:assert/strict";
 * import { presenceBroadcast } from "./events.ts";
 *
 * const typing = presenceBroadcast({ type: "typing", room: "r", user: { id: "u1", name: "Ada" } });
 * assert.equal(typing.id, null);
 * assert.equal(typing.plain, null);
 * ```
 */
export function presenceBroadcast(
  event: PresenceEvent | TypingEvent,
  origin?: string,
): Broadcast {
  const json = JSON.stringify(event);
  const broadcast = {
    json,
    plain: null,
    id: null,
    jsonBytes: utf8Length(json),
    plainBytes: 0,
  };
  return origin === undefined ? broadcast : { ...broadcast, origin };
}

const encoder = new TextEncoder();

/**
 * Counts the UTF-8 bytes of `text` without encoding it when the answer is plain.
 *
 * @param text Any string.
 * @returns Its length in UTF-8 bytes.
 */
export function utf8Length(text: string): number {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  return ascii ? text.length : encoder.encode(text).length;
}
