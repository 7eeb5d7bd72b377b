/**
 * One batch of messages as a Deno KV commit, for `history.ts`: each new
 * message at the room's next id with its nonce, retention and the new head,
 * checked against the head and the epoch as they were read and against each
 * nonce being new, so it applies whole or not at all.
 *
 * A nonce is checked in the commit rather than read before it: a batch with
 * no repeated request then costs one commit and no read, and two writers
 * cannot both store a request sent to each. A commit refused because a
 * nonce exists is retried with that nonce's original (see `history.ts`).
 *
 * @module
 */
import type { ChatMessage } from "../chat/events.ts";
import { type Draft, messageOf, type Stored } from "../chat/history.ts";
import type { HeadCheck } from "./_amend.ts";
import { nonceKey } from "./_nonces.ts";
import { expiry, messageRecord, type Retention, trim } from "./_records.ts";

/** Checks one Deno KV commit may hold. */
const MAX_CHECKS = 100;
/** Nonces one commit checks: the head and the epoch take two checks. */
export const MAX_NONCE_CHECKS = MAX_CHECKS - 2;

/** What the commit needs besides the drafts. */
export interface AppendOptions extends Retention {
  /** The time the messages are stored at. */
  now: number;
  /** Milliseconds a nonce is remembered. */
  nonceTtlMs: number;
}

/** A batch's commit, unsent, and what it stores. */
export interface PreparedAppend {
  atomic: Deno.AtomicOperation;
  /** What each draft produced, in order. */
  results: Stored[];
  /** The room's last id once committed; the head's when nothing is new. */
  lastId: number;
}

/**
 * The drafts whose nonces a commit cannot check, past the first
 * {@linkcode MAX_NONCE_CHECKS} with one: these are read before.
 *
 * @param drafts The batch.
 * @returns Those drafts.
 */
export function uncheckedDrafts(drafts: readonly Draft[]): Draft[] {
  return drafts.filter((draft) => draft.nonce !== undefined).slice(
    MAX_NONCE_CHECKS,
  );
}

/**
 * Builds the commit of `drafts` after the room's `head`. A draft whose
 * nonce is in `known`, or repeats an earlier draft's, is answered with the
 * original and stores nothing.
 *
 * @param kv The database.
 * @param room The room.
 * @param head Where the room's log stood when read.
 * @param drafts The batch, in order.
 * @param known Messages (or only their ids, where retention deleted them)
 *   that nonces stored earlier, by {@linkcode nonceKey}.
 * @param options Time, nonce lifetime and retention.
 * @returns The commit, unsent, and what it stores.
 */
export function prepareAppend(
  kv: Deno.Kv,
  room: string,
  head: HeadCheck & { epoch: string },
  drafts: readonly Draft[],
  known: ReadonlyMap<string, ChatMessage | number>,
  options: AppendOptions,
): PreparedAppend {
  const { now: ts, nonceTtlMs } = options;
  const results: Stored[] = [];
  const seenInBatch = new Map<string, ChatMessage>();
  const atomic = kv.atomic().check(
    { key: ["head", room], versionstamp: head.versionstamp },
    { key: ["epoch", room], versionstamp: head.epochVersionstamp },
  );
  let checks = 0;
  let lastId = head.lastId;
  for (const draft of drafts) {
    const key = draft.nonce === undefined
      ? undefined
      : nonceKey(draft.userId, draft.nonce);
    const original = key === undefined
      ? undefined
      : seenInBatch.get(key) ?? known.get(key);
    if (original !== undefined) {
      results.push({
        // Retention may have deleted the original: its id is all that is left.
        message: typeof original === "number"
          ? messageOf(room, original, 0, { ...draft, text: "" })
          : original,
        duplicate: true,
        epoch: head.epoch,
      });
      continue;
    }
    lastId++;
    const message = messageOf(room, lastId, ts, draft);
    atomic.set(
      ["msg", room, lastId],
      messageRecord(message, []),
      expiry(ts, ts, options),
    );
    if (key !== undefined) {
      seenInBatch.set(key, message);
      const nonce = ["nonce", room, draft.userId, draft.nonce!];
      if (checks++ < MAX_NONCE_CHECKS) {
        atomic.check({ key: nonce, versionstamp: null });
      }
      atomic.set(nonce, lastId, { expireIn: nonceTtlMs });
    }
    results.push({ message, duplicate: false, epoch: head.epoch });
  }
  if (lastId > head.lastId) {
    trim(atomic, room, head.lastId, lastId, options);
    atomic.set(["head", room], lastId);
  }
  return { atomic, results, lastId };
}
