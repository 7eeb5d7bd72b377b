/**
 * How a room's log lies in Deno KV, for `history.ts` and `_amend.ts`:
 * `["msg", room, id]` holds a message's current record, `["amend", room, id]`
 * an edit or a deletion, both numbered in the room's one sequence; reading a
 * record back checks every field, and retention removes both kinds by id.
 *
 * @module
 */
import type { DropReason } from "../chat/bus_metrics.ts";
import type {
  ChatMessage,
  DeleteEvent,
  EditEvent,
  LogEntry,
} from "../chat/events.ts";
import { isMessageId, parseLogEntry } from "../chat/parse_event.ts";

/** A message as stored: its current state, and the ids of its edits. */
export interface MessageRecord
  extends Omit<ChatMessage, "type" | "id" | "room"> {
  /** Ids of the message's edit entries, so a deletion can scrub their text. */
  edits?: number[];
}

/** An edit or a deletion as stored; an edit's text is `""` once its message was deleted. */
export type AmendmentRecord =
  & Omit<EditEvent | DeleteEvent, "type" | "id" | "room">
  & { kind: "edit" | "delete"; text?: string };

/** The retention settings a record is written with. */
export interface Retention {
  /** Entries kept per room. */
  maxMessages: number;
  /** Milliseconds an entry is kept; 0 for no age limit. */
  maxAgeMs: number;
}

/**
 * The `expireIn` that keeps a record written now until `ts` + the age
 * limit, as when it was first stored.
 */
export function expiry(
  ts: number,
  now: number,
  { maxAgeMs }: Retention,
): { expireIn: number } | undefined {
  return maxAgeMs > 0
    ? { expireIn: Math.max(1, ts + maxAgeMs - now) }
    : undefined;
}

/**
 * Deletes what the room's count limit no longer keeps once its last id
 * moves from `from` to `to`: messages and amendments alike.
 */
export function trim(
  atomic: Deno.AtomicOperation,
  room: string,
  from: number,
  to: number,
  { maxMessages }: Retention,
): void {
  for (
    let id = Math.max(1, from - maxMessages + 1);
    id <= to - maxMessages;
    id++
  ) {
    atomic.delete(["msg", room, id]).delete(["amend", room, id]);
  }
}

/**
 * A stored entry as the log entry it is; either key kind.
 *
 * @returns The entry, or why it is not a valid one.
 */
export function toEntry(
  room: string,
  entry: { key: Deno.KvKey; value: unknown },
): LogEntry | DropReason {
  if (typeof entry.value !== "object" || entry.value === null) return "shape";
  const fields = { ...entry.value, id: entry.key[2] } as Record<
    string,
    unknown
  >;
  if (entry.key[0] === "msg") {
    // Stored messages carry no type; one that claims another is not one.
    if (fields.kind !== undefined) return "shape";
    delete fields.type;
  } else if (fields.kind === undefined) return "shape";
  return parseLogEntry(room, fields);
}

/** The ids of a message record's edits, as stored; none when they are not valid ids. */
export function editIds(value: unknown): number[] {
  const edits = (value as { edits?: unknown } | null)?.edits;
  return Array.isArray(edits) && edits.every(isMessageId) ? edits : [];
}

/** A message's record as stored from its checked form, with its edits' ids. */
export function messageRecord(
  message: ChatMessage,
  edits: readonly number[],
): MessageRecord {
  const { ts, user, userId, guest, bot, text, edited, deleted } = message;
  const record: MessageRecord = { ts, user, text };
  if (userId !== undefined) record.userId = userId;
  if (guest) record.guest = true;
  if (bot) record.bot = true;
  if (edited !== undefined) record.edited = edited;
  if (edits.length > 0) record.edits = [...edits];
  if (deleted) record.deleted = true;
  return record;
}
