/**
 * The arguments and replies of the history's scripts (`_history_scripts.ts`),
 * for `history.ts`: authors encoded for a script to wrap, and replies and
 * stored entries read back without trusting them.
 *
 * @module
 */
import {
  type Amended,
  type Amendment,
  AmendmentRefusedError,
  entryOf,
  type RefusalReason,
} from "../chat/amendments.ts";
import type { DropReason } from "../chat/bus_metrics.ts";
import type { LogEntry } from "../chat/events.ts";
import { type Draft, messageOf, type Stored } from "../chat/history.ts";
import { parseLogEntry } from "../chat/parse_event.ts";

const REFUSALS: readonly string[] = [
  "not_found",
  "deleted",
  "too_many_edits",
] satisfies RefusalReason[];

/**
 * Reads the amendment script's reply.
 *
 * @param room The room.
 * @param reply What the script returned.
 * @param amendment What was asked, to stand for an original retention deleted.
 * @returns The stored or earlier entry.
 * @throws {AmendmentRefusedError} When the script refused it.
 * @throws {TypeError} For a reply of the wrong shape.
 */
export function amendedOf(
  room: string,
  reply: unknown,
  amendment: Amendment,
): Amended {
  const [epoch, outcome, id, raw] = Array.isArray(reply) ? reply : [];
  if (typeof epoch !== "string" || typeof outcome !== "string") {
    throw new TypeError("Cannot store entry: unexpected reply from Redis");
  }
  if (REFUSALS.includes(outcome)) {
    throw new AmendmentRefusedError(
      outcome as RefusalReason,
      amendment.target,
    );
  }
  if (
    (outcome !== "stored" && outcome !== "duplicate") ||
    typeof id !== "number"
  ) {
    throw new TypeError("Cannot store entry: unexpected reply from Redis");
  }
  const stored = typeof raw === "string" && raw !== ""
    ? parseEntry(room, raw)
    : undefined;
  return {
    // Retention may have deleted a duplicate's original: its id is all that is left.
    entry: stored !== undefined && typeof stored !== "string" &&
        stored.type !== "message"
      ? stored
      : entryOf(room, id, 0, amendment),
    duplicate: outcome === "duplicate",
    epoch,
  };
}

/**
 * Reads the append script's reply: a row per draft.
 *
 * @param room The room.
 * @param reply What the script returned.
 * @param drafts What was appended, to stand for an original retention deleted.
 * @returns What each draft became.
 * @throws {TypeError} For a reply of the wrong shape, or a bad stored entry.
 */
export function storedOf(
  room: string,
  reply: unknown,
  drafts: readonly Draft[],
): Stored[] {
  const [epoch, rows] = Array.isArray(reply) ? reply : [];
  if (
    typeof epoch !== "string" || !Array.isArray(rows) ||
    rows.length !== drafts.length
  ) {
    throw new TypeError("Cannot store messages: unexpected reply from Redis");
  }
  return rows.map((row, i) => {
    const draft = drafts[i]!;
    if (!Array.isArray(row) || typeof row[0] !== "number") {
      throw new TypeError("Cannot store messages: unexpected reply row");
    }
    const [id, duplicate, entry] = row;
    const stored = typeof entry === "string" && entry !== ""
      ? parseEntry(room, entry)
      : undefined;
    if (typeof stored === "string") {
      throw new TypeError(
        `Cannot store messages: room "${room}" has a bad log entry (${stored})`,
      );
    }
    const message = stored?.type === "message"
      ? stored
      // The original was deleted by retention: its id is all that is left.
      : messageOf(room, id, 0, { ...draft, text: "" });
    return { message, duplicate: duplicate === 1, epoch };
  });
}

/** A reply that should be a list of entries, as a list. */
export function toArray(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) {
    throw new TypeError("Cannot read history: unexpected reply from Redis");
  }
  return reply;
}

/** The head key's value as an id: 0 when absent. */
export function toHead(value: unknown): number {
  const head = value === null ? 0 : Number(value);
  if (!Number.isSafeInteger(head) || head < 0) {
    throw new TypeError(`Cannot read history: bad head "${String(value)}"`);
  }
  return head;
}

/** Decodes one log entry, checking every field rather than trusting the store. */
export function parseEntry(room: string, raw: string): LogEntry | DropReason {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return "json";
  }
  if (typeof value !== "object" || value === null) return "shape";
  return parseLogEntry(room, value as Record<string, unknown>);
}

/** An author's fields as JSON object members without the braces, for a script to wrap. */
export function authorFields(
  author: { user: string; userId: string; guest?: boolean; bot?: boolean },
): string {
  const fields: Record<string, unknown> = {
    user: author.user,
    userId: author.userId,
  };
  if (author.guest) fields.guest = true;
  if (author.bot) fields.bot = true;
  return JSON.stringify(fields).slice(1, -1);
}
