/**
 * Waiting in tests: a bound on every wait, and a poll for the few conditions
 * that have no event to await.
 *
 * @module
 */

/** How long a test waits for an expected event before failing. */
export const TEST_TIMEOUT_MS = 10_000;

/** Rejects after `ms` unless `promise` settles first; the timer is always cleared. */
export async function withTimeout<T>(
  promise: Promise<T>,
  what: string,
  ms = TEST_TIMEOUT_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `condition` until it holds; fails after the test timeout. Only for
 * what signals nothing: another process's state read over HTTP, or an entry
 * that expires by itself. Anything that has an event (a socket's, a
 * promise the code under test gives) is awaited instead.
 *
 * @param condition Checked at once, then after each pause.
 * @param what Named in the timeout error.
 * @param intervalMs Pause between checks.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  intervalMs = 10,
): Promise<void> {
  const deadline = Date.now() + TEST_TIMEOUT_MS;
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
