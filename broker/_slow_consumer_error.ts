/**
 * {@linkcode SlowConsumerError}, thrown by the subscriptions of `broker.ts`,
 * which exports it: it lives here so that `_subscriber.ts` can throw it
 * without importing `broker.ts` at run time.
 *
 * @module
 */

/** Thrown by a subscription whose queue overflowed because it did not keep up. */
export class SlowConsumerError extends Error {
  /** Creates a SlowConsumerError naming the queue bound. */
  constructor(maxQueueLength: number) {
    super(`Cannot deliver message: subscriber queue exceeds ${maxQueueLength}`);
    this.name = "SlowConsumerError";
  }
}
