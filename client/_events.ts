/**
 * Events two ways: typed callbacks (`on`) and async iterators, both seeing
 * each event from the moment they are added, in the order it was emitted.
 *
 * @module
 */

/** A promise with its settle functions (`Promise.withResolvers`, which Node 20 lacks). */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

/** A promise with its settle functions. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Passes a listener's error on to the runtime's error reporting, unhandled. */
function reportListenerError(error: unknown): void {
  if (typeof reportError === "function") reportError(error);
  else {queueMicrotask(() => {
      throw error;
    });}
}

/** Options for {@linkcode EventHub.iterate}. */
export interface IterateOptions {
  /** Ends the iteration when aborted. */
  signal?: AbortSignal;
}

/** Events waiting in one iterator before it fails rather than grow. */
export const MAX_BUFFERED_EVENTS = 10_000;

interface Subscriber<E> {
  queue: E[];
  wake: Deferred<void> | null;
  done: boolean;
  failure?: unknown;
}

/** Listeners and iterators of one source of events `E`, tagged by `type`. */
export class EventHub<E extends { type: string }> {
  #listeners = new Map<string, Set<(event: never) => void>>();
  #subscribers = new Set<Subscriber<E>>();
  #ended = false;

  /**
   * Calls `listener` with every event of `type` from now on.
   *
   * @returns A function that removes the listener.
   */
  on<T extends E["type"]>(
    type: T,
    listener: (event: Extract<E, { type: T }>) => void,
  ): () => void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, set = new Set());
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Hands `event` to its listeners, then to every iterator. */
  emit(event: E): void {
    for (const listener of this.#listeners.get(event.type) ?? []) {
      try {
        (listener as (event: E) => void)(event);
      } catch (error) {
        reportListenerError(error);
      }
    }
    for (const subscriber of this.#subscribers) {
      if (subscriber.queue.length >= MAX_BUFFERED_EVENTS) {
        this.#finish(
          subscriber,
          new RangeError(
            `Cannot buffer events: more than ${MAX_BUFFERED_EVENTS} unread`,
          ),
        );
        continue;
      }
      subscriber.queue.push(event);
      this.#wake(subscriber);
    }
  }

  /**
   * Every event from now on, until {@linkcode EventHub.end} or `signal`.
   * The iterator registers at once, before its first `next()`.
   */
  iterate(options: IterateOptions = {}): AsyncGenerator<E, void, undefined> {
    const subscriber: Subscriber<E> = { queue: [], wake: null, done: false };
    if (this.#ended) subscriber.done = true;
    else this.#subscribers.add(subscriber);
    return this.#drain(subscriber, options.signal);
  }

  /** Ends every iterator (with `error`, when given) and drops the listeners. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const subscriber of this.#subscribers) this.#finish(subscriber, error);
    this.#listeners.clear();
  }

  async *#drain(
    subscriber: Subscriber<E>,
    signal?: AbortSignal,
  ): AsyncGenerator<E, void, undefined> {
    const abort = () => this.#finish(subscriber);
    signal?.addEventListener("abort", abort, { once: true });
    if (signal?.aborted) abort();
    try {
      while (true) {
        const event = subscriber.queue.shift();
        if (event !== undefined) {
          yield event;
          continue;
        }
        if (subscriber.done) {
          if (subscriber.failure !== undefined) throw subscriber.failure;
          return;
        }
        subscriber.wake = deferred();
        await subscriber.wake.promise;
      }
    } finally {
      signal?.removeEventListener("abort", abort);
      this.#subscribers.delete(subscriber);
    }
  }

  #finish(subscriber: Subscriber<E>, failure?: unknown): void {
    if (subscriber.done) return;
    subscriber.done = true;
    subscriber.failure = failure;
    this.#subscribers.delete(subscriber);
    this.#wake(subscriber);
  }

  #wake(subscriber: Subscriber<E>): void {
    subscriber.wake?.resolve();
    subscriber.wake = null;
  }
}
