/**
 * Reading a room's log from Deno KV, for `history.ts`: messages and
 * amendments lie under two prefixes (`_records.ts`) and are read back as one
 * run in id order.
 *
 * @module
 */
import type { LogEntry } from "../chat/events.ts";
import { mergeById } from "../chat/pages.ts";
import type { ReadEntry } from "./_nonces.ts";

/** The two prefixes a room's log lies under. */
const KINDS = ["msg", "amend"] as const;

/**
 * The valid entries of a listing, in its order.
 *
 * @param listing A KV listing of a room's log.
 * @param read Checks each stored entry.
 * @returns The valid entries.
 */
export async function listEntries(
  listing: Deno.KvListIterator<unknown>,
  read: ReadEntry,
): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  for await (const entry of listing) {
    const parsed = read(entry);
    if (parsed !== undefined) entries.push(parsed);
  }
  return entries;
}

/**
 * Up to `count` of the newest entries of each kind between `since` and
 * `before` (both excluded), merged newest first: the first `count` of the
 * run are the newest `count` of the room's log there.
 */
export async function newestEntries(
  kv: Deno.Kv,
  room: string,
  range: { since: number; before: number; count: number },
  read: ReadEntry,
): Promise<LogEntry[]> {
  const [messages, amendments] = await Promise.all(
    KINDS.map((kind) =>
      listEntries(
        kv.list({
          start: [kind, room, range.since + 1],
          end: [kind, room, range.before],
        }, { reverse: true, limit: range.count }),
        read,
      )
    ),
  );
  return mergeById(messages!, amendments!, true);
}

/** The oldest valid entry kept above `since`, of either kind. */
export async function oldestEntry(
  kv: Deno.Kv,
  room: string,
  since: number,
  read: ReadEntry,
): Promise<LogEntry | undefined> {
  const [messages, amendments] = await Promise.all(
    KINDS.map((kind) =>
      listEntries(
        kv.list({ prefix: [kind, room], start: [kind, room, since + 1] }, {
          limit: 1,
        }),
        read,
      )
    ),
  );
  return mergeById(messages!, amendments!)[0];
}

/**
 * Up to `limit` stored entries above `since`, oldest first.
 *
 * @returns The valid ones at least as young as `oldestKeptTs`, and the
 *   highest id read, valid or not (`since` when none).
 */
export async function entriesAfter(
  kv: Deno.Kv,
  room: string,
  { since, limit, oldestKeptTs }: {
    since: number;
    limit: number;
    oldestKeptTs: number;
  },
  read: ReadEntry,
): Promise<{ entries: LogEntry[]; through: number }> {
  const [messages, amendments] = await Promise.all(
    KINDS.map((kind) =>
      Array.fromAsync(
        kv.list({ prefix: [kind, room], start: [kind, room, since + 1] }, {
          limit,
        }),
      )
    ),
  );
  // Ids the read passed, valid or not: the first `limit` of both kinds.
  const passed = [...messages!, ...amendments!]
    .map((entry) => ({ id: Number(entry.key[2]), entry }))
    .sort((a, b) => a.id - b.id).slice(0, limit);
  const entries: LogEntry[] = [];
  for (const { entry } of passed) {
    const parsed = read(entry);
    if (parsed !== undefined && parsed.ts >= oldestKeptTs) entries.push(parsed);
  }
  return { entries, through: passed.at(-1)?.id ?? since };
}
