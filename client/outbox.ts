/**
 * Where the client keeps messages until the server acknowledges them: in
 * memory, or in Web Storage (`localStorage`) so that a message typed in a
 * page survives its reload or a closed tab and is sent, with its nonce, when
 * the page is open again.
 *
 * @module
 */

/** One message waiting for its `ack`. */
export interface OutboxEntry {
  /** Sent with every attempt, so the server stores the message once. */
  nonce: string;
  /** The room it goes to. */
  room: string;
  /** The message. */
  text: string;
  /** When it was written, in milliseconds since the Unix epoch. */
  createdAt: number;
}

/** Keeps unacknowledged messages, in the order they were written. */
export interface Outbox {
  /** Every entry, oldest first. */
  entries(): OutboxEntry[];
  /** Adds an entry after the others. */
  add(entry: OutboxEntry): void;
  /** Removes the entry with `nonce`, if there is one. */
  delete(nonce: string): void;
}

/**
 * An outbox that lasts as long as the client: what a reconnect needs, and
 * all a server-side client has.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryOutbox } from "./outbox.ts";
 *
 * const outbox = new MemoryOutbox();
 * outbox.add({ nonce: "n1", room: "general", text: "hi", createdAt: 0 });
 * outbox.delete("n1");
 * assert.deepEqual(outbox.entries(), []);
 * ```
 */
export class MemoryOutbox implements Outbox {
  #entries = new Map<string, OutboxEntry>();

  /** Every entry, oldest first. */
  entries(): OutboxEntry[] {
    return [...this.#entries.values()];
  }

  /** Adds an entry after the others. */
  add(entry: OutboxEntry): void {
    this.#entries.set(entry.nonce, { ...entry });
  }

  /** Removes the entry with `nonce`, if there is one. */
  delete(nonce: string): void {
    this.#entries.delete(nonce);
  }
}

/** Options for {@linkcode StorageOutbox}. */
export interface StorageOutboxOptions {
  /**
   * Start of the keys the entries are stored under.
   *
   * @default {"chat.outbox."}
   */
  prefix?: string;
}

/**
 * An outbox in Web Storage: pass `localStorage` and the messages outlive
 * the page. Each entry is one key, so pages of one origin never overwrite
 * each other's entries; a page sends every entry it finds for the rooms it
 * joins, and the server stores each nonce once.
 *
 * @example Entries outlive the outbox object
 * ```ts
 * import assert from "node:assert/strict";
 * import { StorageOutbox } from "./outbox.ts";
 *
 * sessionStorage.clear();
 * new StorageOutbox(sessionStorage).add({ nonce: "n1", room: "general", text: "hi", createdAt: 1 });
 * const reloaded = new StorageOutbox(sessionStorage);
 * assert.deepEqual(reloaded.entries().map((entry) => entry.text), ["hi"]);
 * reloaded.delete("n1");
 * assert.equal(sessionStorage.length, 0);
 * ```
 */
export class StorageOutbox implements Outbox {
  #storage: Storage;
  #prefix: string;
  /** Orders entries written in the same millisecond. */
  #seq: number;

  /**
   * Opens the outbox kept in `storage`.
   *
   * @param storage `localStorage` (or `sessionStorage`, for one tab's life).
   * @param options Where in it the entries live.
   */
  constructor(storage: Storage, options: StorageOutboxOptions = {}) {
    this.#storage = storage;
    this.#prefix = options.prefix ?? "chat.outbox.";
    this.#seq = Math.max(0, ...this.#read().map((stored) => stored.seq)) + 1;
  }

  /** Every entry, oldest first. */
  entries(): OutboxEntry[] {
    return this.#read()
      .sort((a, b) => a.entry.createdAt - b.entry.createdAt || a.seq - b.seq)
      .map((stored) => stored.entry);
  }

  /** Adds an entry after the others. */
  add(entry: OutboxEntry): void {
    const { nonce, room, text, createdAt } = entry;
    this.#storage.setItem(
      this.#prefix + nonce,
      JSON.stringify({ room, text, createdAt, seq: this.#seq++ }),
    );
  }

  /** Removes the entry with `nonce`, if there is one. */
  delete(nonce: string): void {
    this.#storage.removeItem(this.#prefix + nonce);
  }

  #read(): { entry: OutboxEntry; seq: number }[] {
    const found = [];
    for (let i = 0; i < this.#storage.length; i++) {
      const key = this.#storage.key(i);
      if (key === null || !key.startsWith(this.#prefix)) continue;
      const stored = parseStored(
        key.slice(this.#prefix.length),
        this.#storage.getItem(key),
      );
      if (stored) found.push(stored);
    }
    return found;
  }
}

/** Reads one stored entry, or `undefined` for one that is not ours. */
function parseStored(
  nonce: string,
  value: string | null,
): { entry: OutboxEntry; seq: number } | undefined {
  let data: unknown;
  try {
    data = JSON.parse(value ?? "");
  } catch {
    return undefined;
  }
  if (typeof data !== "object" || data === null) return undefined;
  const { room, text, createdAt, seq } = data as Record<string, unknown>;
  if (
    typeof room !== "string" || typeof text !== "string" ||
    typeof createdAt !== "number" || typeof seq !== "number"
  ) {
    return undefined;
  }
  return { entry: { nonce, room, text, createdAt }, seq };
}
