/**
 * Message history in Redis, shared by every instance of the server.
 *
 * Keys, all with the room as a hash tag so one room lives on one shard:
 * `chat:{room}:head` is the room's last id (`INCR`), `chat:{room}:log` a
 * sorted set of messages (their current records) scored by id,
 * `chat:{room}:amend` one of the edits and deletions of messages, numbered in
 * the same sequence, `chat:{room}:epoch` the epoch its ids belong to, and
 * `chat:{room}:nonce:[userId,nonce]` the id a nonce produced, expiring after
 * the de-duplication window. One Lua script numbers, stores, de-duplicates
 * and trims a whole batch atomically, so two instances can never hand out
 * the same id; another stores an amendment and rewrites its message.
 *
 * Whatever writes or reads a room starts its epoch when it has none (`SET
 * NX`): a Redis restarted empty has lost the epoch with the head, so its ids
 * start again under a new one.
 *
 * @module
 */
import type { Amended, Amendment } from "../chat/amendments.ts";
import { BusMetrics } from "../chat/bus_metrics.ts";
import {
  type Draft,
  type History,
  type HistoryPage,
  historySettings,
  type HistoryStoreOptions,
  type LogPage,
  newEpoch,
  type RoomPosition,
  type Stored,
} from "../chat/history.ts";
import type { ChatMessage } from "../chat/events.ts";
import { type RedisClient, runScript } from "./client.ts";
import { toHead } from "./_entries.ts";
import { keys, POSITION_SCRIPT } from "./_history_scripts.ts";
import { HistoryPages } from "./_pages.ts";
import {
  amendEntry,
  appendEntries,
  type Bus,
  type WriteSettings,
} from "./_writes.ts";

export type { Bus } from "./_writes.ts";

/** Options for {@linkcode RedisHistory}. */
export interface RedisHistoryOptions extends HistoryStoreOptions {
  /**
   * The bus every instance listens on: each stored entry is published there
   * by the script that stores it, in one round trip and with no gap between
   * storing and telling (the broker then delivers entries only locally:
   * `RedisBrokerOptions.entriesPublished`).
   *
   * @default {undefined (entries are not published here)}
   */
  bus?: Bus;
}

/**
 * {@linkcode History} over Redis, so that any instance can number, store and
 * serve any room's messages.
 *
 * @example Append and read back (needs a running Redis)
 * ```ts ignore
 * import { createClient } from "redis";
 * import { RedisHistory } from "./history.ts";
 *
 * const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const history = new RedisHistory(client);
 * const [stored] = await history.append("general", [{ userId: "ada", user: "ada", text: "hi" }]);
 * console.log(stored?.message.id, await history.latest("general", 10));
 * client.destroy();
 * ```
 */
export class RedisHistory implements History {
  #client: RedisClient;
  #writes: WriteSettings;
  #pages: HistoryPages;

  /** Uses `client`, which the caller owns and closes. */
  constructor(client: RedisClient, options: RedisHistoryOptions = {}) {
    this.#client = client;
    const settings = historySettings(options);
    this.#writes = { ...settings, bus: options.bus };
    this.#pages = new HistoryPages(client, {
      maxAgeMs: settings.maxAgeMs,
      now: settings.now,
      metrics: options.metrics ?? new BusMetrics(),
    });
  }

  /** Stores `drafts` in one atomic script; see {@linkcode History.append}. */
  append(room: string, drafts: readonly Draft[]): Promise<Stored[]> {
    return appendEntries(this.#client, room, drafts, this.#writes);
  }

  /** Stores an edit or a deletion in one script; see {@linkcode History.amend}. */
  amend(room: string, amendment: Amendment): Promise<Amended> {
    return amendEntry(this.#client, room, amendment, this.#writes);
  }

  /** The current state of message `id`; see {@linkcode History.message}. */
  message(room: string, id: number): Promise<ChatMessage | undefined> {
    return this.#pages.message(room, id);
  }

  /** The latest `limit` messages of `room`, oldest first. */
  latest(room: string, limit: number): Promise<HistoryPage<ChatMessage>> {
    return this.#pages.latest(room, limit);
  }

  /** Up to `limit` messages of `room` below id `before`, oldest first. */
  before(
    room: string,
    before: number,
    limit: number,
  ): Promise<HistoryPage<ChatMessage>> {
    return this.#pages.before(room, before, limit);
  }

  /** The latest `limit` entries above `since`; see {@linkcode History.resume}. */
  resume(
    room: string,
    since: number,
    limit: number,
    before = Number.MAX_SAFE_INTEGER,
  ): Promise<HistoryPage> {
    return this.#pages.resume(room, since, limit, before);
  }

  /** Up to `limit` entries above `since`, oldest first; see {@linkcode History.after}. */
  after(room: string, since: number, limit: number): Promise<LogPage> {
    return this.#pages.after(room, since, limit);
  }

  /** Where the room's log stands; see {@linkcode History.position}. */
  async position(room: string, seen?: RoomPosition): Promise<RoomPosition> {
    const { head, epoch } = keys(room);
    const reply = await runScript(this.#client, POSITION_SCRIPT, {
      keys: [head, epoch],
      arguments: [
        newEpoch(),
        seen?.epoch ?? "",
        String(seen?.head ?? 0),
      ],
    });
    const [current, last] = Array.isArray(reply) ? reply : [];
    if (typeof current !== "string") {
      throw new TypeError("Cannot read room position: unexpected reply");
    }
    return { epoch: current, head: toHead(last) };
  }

  /** Nothing to release: the caller owns the client. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Same as {@linkcode RedisHistory.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
