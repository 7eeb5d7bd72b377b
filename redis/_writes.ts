/**
 * Writing a room's log in Redis, for `history.ts`: a batch of messages, or
 * an edit or a deletion, each in one script (`_history_scripts.ts`) that
 * numbers, stores, de-duplicates, publishes and trims atomically.
 *
 * @module
 */
import type { Amended, Amendment } from "../chat/amendments.ts";
import { type Draft, newEpoch, type Stored } from "../chat/history.ts";
import { type RedisClient, runScript } from "./client.ts";
import { amendedOf, authorFields, storedOf } from "./_entries.ts";
import { AMEND_SCRIPT, APPEND_SCRIPT, keys } from "./_history_scripts.ts";

/** A pub/sub channel and who publishes on it (see `RedisHistoryOptions.bus`). */
export interface Bus {
  /** The channel. */
  channel: string;
  /** The publishing instance's id, which its own broker skips. */
  from: string;
}

/** What every write of a room's log follows. */
export interface WriteSettings {
  /** Entries kept per room. */
  maxMessages: number;
  /** Milliseconds an entry is kept; 0 for no age limit. */
  maxAgeMs: number;
  /** Milliseconds a nonce is remembered. */
  nonceTtlMs: number;
  /** Edits one message may have. */
  maxEdits: number;
  /** Clock in milliseconds since the Unix epoch. */
  now: () => number;
  /** Where stored entries are published; none when absent. */
  bus?: Bus;
}

/**
 * Stores `drafts` in one script, numbered after the room's last id.
 *
 * @param client The connection.
 * @param room The room.
 * @param drafts The batch, in order.
 * @param settings Retention, the clock and the bus.
 * @returns What each draft produced.
 * @throws When Redis cannot run the script: nothing was stored.
 */
export async function appendEntries(
  client: RedisClient,
  room: string,
  drafts: readonly Draft[],
  settings: WriteSettings,
): Promise<Stored[]> {
  if (drafts.length === 0) return [];
  const { head, log, epoch, nonce, amendments } = keys(room);
  const args = writeArguments(room, nonce, settings);
  for (const draft of drafts) {
    args.push(
      authorFields(draft),
      JSON.stringify(draft.text),
      draft.nonce === undefined
        ? ""
        : JSON.stringify([draft.userId, draft.nonce]),
    );
  }
  const reply = await runScript(client, APPEND_SCRIPT, {
    keys: [head, log, epoch, amendments],
    arguments: args,
  });
  return storedOf(room, reply, drafts);
}

/**
 * Stores an edit or a deletion of a message in one script.
 *
 * @param client The connection.
 * @param room The message's room.
 * @param amendment What changes, who changes it, and an optional nonce.
 * @param settings Retention, the most edits, the clock and the bus.
 * @returns The stored entry; `duplicate` when the nonce was seen.
 * @throws {AmendmentRefusedError} When the message can no longer be changed.
 */
export async function amendEntry(
  client: RedisClient,
  room: string,
  amendment: Amendment,
  settings: WriteSettings,
): Promise<Amended> {
  const roomKeys = keys(room);
  const nonce = amendment.nonce === undefined
    ? ""
    : roomKeys.nonce + JSON.stringify([amendment.userId, amendment.nonce]);
  const reply = await runScript(client, AMEND_SCRIPT, {
    keys: [roomKeys.head, roomKeys.log, roomKeys.epoch, roomKeys.amendments],
    arguments: [
      ...writeArguments(room, nonce, settings),
      amendment.type,
      String(amendment.target),
      authorFields(amendment),
      amendment.type === "edit" ? JSON.stringify(amendment.text) : "",
      String(settings.maxEdits),
    ],
  });
  return amendedOf(room, reply, amendment);
}

/** The arguments every write script starts with (see `START` in `_history_scripts.ts`). */
function writeArguments(
  room: string,
  nonce: string,
  settings: WriteSettings,
): string[] {
  const { bus } = settings;
  return [
    String(settings.now()),
    String(settings.maxMessages),
    String(settings.maxAgeMs),
    String(settings.nonceTtlMs),
    nonce,
    newEpoch(),
    bus?.channel ?? "",
    JSON.stringify(room),
    JSON.stringify(bus?.from ?? ""),
  ];
}
