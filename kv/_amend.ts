/**
 * One edit or deletion as a Deno KV commit, for `history.ts`: the entry at
 * the room's next id, the message's rewritten record (new text, or a
 * tombstone with its edits' text scrubbed), the nonce, retention and the new
 * head, checked against the head, the epoch and the message as they were
 * read, so it applies whole or not at all.
 *
 * @module
 */
import {
  type Amendment,
  AmendmentRefusedError,
  entryOf,
} from "../chat/amendments.ts";
import type { DeleteEvent, EditEvent } from "../chat/events.ts";
import { parseMessage } from "../chat/parse_event.ts";
import {
  type AmendmentRecord,
  editIds,
  expiry,
  messageRecord,
  type Retention,
  trim,
} from "./_records.ts";

/** `getMany` reads at most this many keys at once. */
const GET_MANY_LIMIT = 10;

/** Where the room's log stood when read: what the commit checks. */
export interface HeadCheck {
  lastId: number;
  versionstamp: string | null;
  epochVersionstamp: string;
}

/** What the commit needs besides the amendment. */
export interface AmendOptions extends Retention {
  /** The time the entry is stored at. */
  now: number;
  /** Milliseconds a nonce is remembered. */
  nonceTtlMs: number;
  /** Edits one message may have. */
  maxEdits: number;
}

/**
 * Builds the commit of `amendment` after the room's `head`.
 *
 * @returns The commit, unsent, and the entry it stores.
 * @throws {AmendmentRefusedError} When the message is not kept, deleted, or edited the most times.
 */
export async function prepareAmendment(
  kv: Deno.Kv,
  room: string,
  head: HeadCheck,
  amendment: Amendment,
  options: AmendOptions,
): Promise<{ atomic: Deno.AtomicOperation; entry: EditEvent | DeleteEvent }> {
  const { target } = amendment;
  const stored = await kv.get<unknown>(["msg", room, target]);
  const message = typeof stored.value === "object" && stored.value !== null
    ? parseMessage(room, { ...stored.value, id: target })
    : undefined;
  const oldestKept = options.maxAgeMs > 0
    ? options.now - options.maxAgeMs
    : -Infinity;
  if (
    message === undefined || typeof message === "string" ||
    message.ts < oldestKept
  ) {
    throw new AmendmentRefusedError("not_found", target);
  }
  if (message.deleted) throw new AmendmentRefusedError("deleted", target);
  const edits = editIds(stored.value);
  if (amendment.type === "edit" && edits.length >= options.maxEdits) {
    throw new AmendmentRefusedError("too_many_edits", target);
  }
  const id = head.lastId + 1;
  const entry = entryOf(room, id, options.now, amendment);
  const atomic = kv.atomic().check(
    { key: ["head", room], versionstamp: head.versionstamp },
    { key: ["epoch", room], versionstamp: head.epochVersionstamp },
    stored,
  );
  const { type: kind, id: _id, room: _room, ...fields } = entry;
  const record: AmendmentRecord = { kind, ...fields };
  atomic.set(
    ["amend", room, id],
    record,
    expiry(options.now, options.now, options),
  );
  const rewritten = entry.type === "edit"
    ? messageRecord({ ...message, text: entry.text, edited: entry.ts }, [
      ...edits,
      id,
    ])
    : messageRecord(
      { ...message, text: "", edited: undefined, deleted: true },
      [],
    );
  atomic.set(
    ["msg", room, target],
    rewritten,
    expiry(message.ts, options.now, options),
  );
  if (entry.type === "delete") {
    await scrubEdits(kv, atomic, room, edits, head.lastId, options);
  }
  if (amendment.nonce !== undefined) {
    atomic.set(["nonce", room, amendment.userId, amendment.nonce], id, {
      expireIn: options.nonceTtlMs,
    });
  }
  trim(atomic, room, head.lastId, id, options);
  atomic.set(["head", room], id);
  return { atomic, entry };
}

/** Sets the text of a deleted message's edits that are still kept to `""`. */
async function scrubEdits(
  kv: Deno.Kv,
  atomic: Deno.AtomicOperation,
  room: string,
  edits: readonly number[],
  lastId: number,
  options: AmendOptions,
): Promise<void> {
  // Retention removed older ones; writing them again would bring them back.
  const kept = edits.filter((id) => id > lastId - options.maxMessages);
  for (let i = 0; i < kept.length; i += GET_MANY_LIMIT) {
    const entries = await kv.getMany<unknown[]>(
      kept.slice(i, i + GET_MANY_LIMIT).map((id) => ["amend", room, id]),
    );
    for (const { key, value } of entries) {
      if (typeof value !== "object" || value === null) continue;
      const record = value as Partial<AmendmentRecord>;
      if (typeof record.ts !== "number") continue;
      atomic.set(
        key,
        { ...record, text: "" },
        expiry(record.ts, options.now, options),
      );
    }
  }
}
