/**
 * A short-lived log of events in Deno KV, for events that are not numbered
 * in a room's history but must reach every isolate (presence, typing,
 * control): each is written at `[...entries, n]` by the atomic commit that
 * moves a counter (`head`) to `n`, expires after a while, and is read by
 * every process that watches the counter, from the last `n` it saw. Each
 * entry names the process that wrote it, which has delivered it already.
 *
 * @module
 */
import { commitOrBusy, randomPause } from "./database.ts";

/** Attempts at appending an event whose counter moved under it (another writer) before giving up. */
const MAX_APPEND_ATTEMPTS = 20;
/** Longest random pause, in milliseconds, before retrying an append, so racing writers spread out. */
const APPEND_RETRY_MS = 20;

/** Where a log lies. */
export interface EventLogKeys {
  /** The counter of the last event written. */
  head: Deno.KvKey;
  /** The prefix of the events, each under its counter. */
  entries: Deno.KvKey;
}

/** An event as the log keeps it. */
export interface LoggedEvent {
  /** The event, as the writer put it. */
  value: unknown;
  /** Id of the process that wrote it. */
  source: string;
}

/**
 * Appends an event and moves the counter, in one commit.
 *
 * @param kv The database.
 * @param keys Where the log lies.
 * @param event The event and its writer.
 * @param ttlMs Milliseconds the event stays readable.
 * @throws When the counter moved under every attempt.
 */
export async function appendEvent(
  kv: Deno.Kv,
  keys: EventLogKeys,
  event: LoggedEvent,
  ttlMs: number,
): Promise<void> {
  for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt++) {
    const head = await kv.get<number>(keys.head);
    const n = (isCounter(head.value) ? head.value : 0) + 1;
    const result = await commitOrBusy(
      kv.atomic().check(head).set(keys.head, n)
        .set([...keys.entries, n], event, { expireIn: ttlMs }),
    );
    if (result.ok) return;
    await randomPause(APPEND_RETRY_MS);
  }
  throw new Error(
    `Cannot append event: counter ${
      JSON.stringify(keys.head)
    } moved ${MAX_APPEND_ATTEMPTS} times under it`,
  );
}

/**
 * Whether a counter read from the store is a usable count.
 *
 * @param value Anything read from the store.
 * @returns Whether it is a non-negative safe integer.
 */
export function isCounter(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) &&
    value >= 0;
}

/**
 * Reads one log's new events, from where it last stopped, one read at a
 * time: a read asked for while one runs runs again after it.
 */
export class EventLogReader {
  /** Counter of the last event read. */
  last = 0;
  /** Set once the log is no longer wanted: a read in flight stops. */
  stopped = false;
  #kv: Deno.Kv;
  #keys: EventLogKeys;
  #deliver: (event: unknown, source: unknown) => void;
  #reading = false;
  #readAgain = false;

  /** Reads `keys`' events from `kv`, handing each to `deliver`. */
  constructor(
    kv: Deno.Kv,
    keys: EventLogKeys,
    deliver: (value: unknown, source: unknown) => void,
  ) {
    this.#kv = kv;
    this.#keys = keys;
    this.#deliver = deliver;
  }

  /** Starts after the events written so far: older ones are not replayed. */
  async start(): Promise<void> {
    const head = (await this.#kv.get(this.#keys.head)).value;
    this.last = isCounter(head) ? head : 0;
  }

  /**
   * Reads the events after the last one read.
   *
   * @returns The read, or `undefined` when one already runs (it reads again after).
   */
  read(): Promise<void> | undefined {
    if (this.#reading) {
      this.#readAgain = true;
      return undefined;
    }
    this.#reading = true;
    return (async () => {
      try {
        do {
          this.#readAgain = false;
          const entries = this.#kv.list<unknown>({
            prefix: this.#keys.entries,
            start: [...this.#keys.entries, this.last + 1],
          });
          for await (const { key, value } of entries) {
            if (this.stopped) return;
            const n = key.at(-1);
            if (typeof n !== "number" || n <= this.last) continue;
            this.last = n;
            const { value: event, source } =
              typeof value === "object" && value !== null
                ? value as Record<string, unknown>
                : {};
            this.#deliver(event, source);
          }
        } while (this.#readAgain && !this.stopped);
      } finally {
        this.#reading = false;
      }
    })();
  }
}
