/**
 * Pages of a room's log, as every store makes them: the newest entries that
 * fit a count and a byte budget, whether a resume missed entries, and one
 * run in id order from the two a store keeps (messages, amendments).
 *
 * @module
 */
import { type LogEntry, utf8Length } from "./events.ts";
import type { HistoryPage } from "./history.ts";

/**
 * Whether a resume after `since` cannot be complete: the oldest message
 * still kept after it does not follow it, or, with none kept, the head is
 * not `since` (beyond it: messages were deleted; before it: the history was
 * reset and ids start again).
 *
 * @param since The last id the client has.
 * @param oldest The oldest message kept after `since`, if any.
 * @param head The room's last id.
 * @returns Whether messages after `since` are missing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { missesMessages } from "./pages.ts";
 *
 * assert.equal(missesMessages(4, { id: 5 }, 9), false);
 * assert.equal(missesMessages(4, { id: 7 }, 9), true);
 * assert.equal(missesMessages(9, undefined, 9), false);
 * assert.equal(missesMessages(12, undefined, 9), true);
 * ```
 */
export function missesMessages(
  since: number,
  oldest: Pick<LogEntry, "id"> | undefined,
  head: number,
): boolean {
  return oldest === undefined ? head !== since : oldest.id > since + 1;
}

/**
 * Makes a page of messages read newest first: the first `limit` of them
 * younger than `oldestKeptTs`, oldest first, and whether one more follows.
 *
 * @param newestFirst Up to `limit + 1` messages, newest first.
 * @param limit Most messages in the page.
 * @param oldestKeptTs Messages older than this are expired, and so are all before them.
 * @param epoch The epoch the messages belong to.
 * @returns The page (`truncated` is `false`: only a resume can be).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pageOf } from "./pages.ts";
 *
 * const message = (id: number, ts: number) => ({ type: "message" as const, id, room: "r", ts, user: "u", text: "" });
 * const page = pageOf([message(3, 30), message(2, 20), message(1, 10)], 2, 0, "e");
 * assert.deepEqual(page.messages.map((m) => m.id), [2, 3]);
 * assert.equal(page.hasMore, true);
 * assert.equal(pageOf([message(3, 30), message(2, 20), message(1, 10)], 2, 25, "e").hasMore, false);
 * ```
 */
export function pageOf<E extends LogEntry>(
  newestFirst: readonly E[],
  limit: number,
  oldestKeptTs: number,
  epoch: string,
): HistoryPage<E> {
  const messages: E[] = [];
  let hasMore = false;
  for (const message of newestFirst) {
    if (message.ts < oldestKeptTs) break;
    if (messages.length === limit) {
      hasMore = true;
      break;
    }
    messages.push(message);
  }
  return { messages: messages.reverse(), hasMore, truncated: false, epoch };
}

/**
 * Keeps a page within `maxBytes` of message JSON: drops its oldest messages
 * (at least one stays) and says `hasMore`, since those remain before the
 * first one kept.
 *
 * @param page A page, oldest first.
 * @param maxBytes Most UTF-8 bytes of its messages' JSON.
 * @returns The page, or a shorter one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitPage } from "./pages.ts";
 *
 * const message = (id: number) => ({ type: "message" as const, id, room: "r", ts: 0, user: "u", text: "x".repeat(100) });
 * const page = { messages: [message(1), message(2), message(3)], hasMore: false, truncated: false, epoch: "e" };
 * const fitted = fitPage(page, 300);
 * assert.deepEqual(fitted.messages.map((m) => m.id), [3]);
 * assert.equal(fitted.hasMore, true);
 * ```
 */
export function fitPage<E extends LogEntry>(
  page: HistoryPage<E>,
  maxBytes: number,
): HistoryPage<E> {
  let bytes = 0;
  let first = page.messages.length;
  while (first > 0) {
    bytes += utf8Length(JSON.stringify(page.messages[first - 1]));
    if (bytes > maxBytes && first < page.messages.length) break;
    first--;
  }
  if (first === 0) return page;
  return { ...page, messages: page.messages.slice(first), hasMore: true };
}

/**
 * Merges two runs of entries, each sorted by id in the same direction, into
 * one sorted run (the stores keep messages and their edits apart).
 *
 * @param a One run.
 * @param b The other.
 * @param newestFirst Whether both runs are sorted by id descending.
 * @returns Every entry of both, sorted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeById } from "./pages.ts";
 *
 * assert.deepEqual(mergeById([{ id: 1 }, { id: 4 }], [{ id: 2 }, { id: 3 }]).map((e) => e.id), [1, 2, 3, 4]);
 * assert.deepEqual(mergeById([{ id: 4 }], [{ id: 5 }, { id: 2 }], true).map((e) => e.id), [5, 4, 2]);
 * ```
 */
export function mergeById<E extends { id: number }>(
  a: readonly E[],
  b: readonly E[],
  newestFirst = false,
): E[] {
  const merged: E[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length ||
      (i < a.length && (a[i]!.id < b[j]!.id) !== newestFirst);
    merged.push(next ? a[i++]! : b[j++]!);
  }
  return merged;
}
