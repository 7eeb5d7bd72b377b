/**
 * Looking up nonces in Deno KV, for `history.ts`: `["nonce", room, userId,
 * nonce]` holds the id of the entry a request with that nonce stored, so a
 * request sent again is answered with the original instead of being stored
 * twice.
 *
 * @module
 */
import { type Amendment, entryOf } from "../chat/amendments.ts";
import type {
  ChatMessage,
  DeleteEvent,
  EditEvent,
  LogEntry,
} from "../chat/events.ts";
import type { Draft } from "../chat/history.ts";

/** `getMany` reads at most this many keys at once. */
const GET_MANY_LIMIT = 10;

/** Reads one stored entry, checked; `undefined` when it is not valid. */
export type ReadEntry = (
  entry: { key: Deno.KvKey; value: unknown },
) => LogEntry | undefined;

/**
 * The key {@linkcode findNonces} maps a nonce by.
 *
 * @param userId The sender.
 * @param nonce The nonce.
 * @returns A string unique to the pair.
 */
export function nonceKey(userId: string, nonce: string): string {
  return JSON.stringify([userId, nonce]);
}

/**
 * Looks up the drafts' nonces.
 *
 * @returns The earlier messages by {@linkcode nonceKey}, or only their ids
 *   where retention deleted them.
 */
export async function findNonces(
  kv: Deno.Kv,
  room: string,
  drafts: readonly Draft[],
  read: ReadEntry,
): Promise<Map<string, ChatMessage | number>> {
  const keys = drafts.filter((draft) => draft.nonce !== undefined)
    .map((draft) => ["nonce", room, draft.userId, draft.nonce!]);
  const found = new Map<string, ChatMessage | number>();
  for (let i = 0; i < keys.length; i += GET_MANY_LIMIT) {
    const entries = await kv.getMany<number[]>(
      keys.slice(i, i + GET_MANY_LIMIT),
    );
    for (const entry of entries) {
      if (entry.value === null) continue;
      const stored = await kv.get(["msg", room, entry.value]);
      const [, , userId, nonce] = entry.key;
      const original = stored.value === null ? undefined : read(stored);
      found.set(
        nonceKey(String(userId), String(nonce)),
        original?.type === "message" ? original : entry.value,
      );
    }
  }
  return found;
}

/**
 * The entry an amendment's nonce stored earlier, if it did; only its id is
 * left when retention deleted it.
 */
export async function findAmendment(
  kv: Deno.Kv,
  room: string,
  amendment: Amendment,
  read: ReadEntry,
): Promise<EditEvent | DeleteEvent | undefined> {
  if (amendment.nonce === undefined) return undefined;
  const earlier = await kv.get<number>(
    ["nonce", room, amendment.userId, amendment.nonce],
  );
  if (typeof earlier.value !== "number") return undefined;
  const stored = await kv.get(["amend", room, earlier.value]);
  const entry = stored.value === null ? undefined : read(stored);
  return entry !== undefined && entry.type !== "message"
    ? entry
    : entryOf(room, earlier.value, 0, amendment);
}
