/**
 * The Deno KV database the stores share: opening it, and committing to it
 * while another handle on the same file may hold it locked.
 *
 * @module
 */

/** Longest random pause, in milliseconds, before retrying a commit that found the database busy. */
const BUSY_RETRY_MS = 20;

/**
 * Opens the KV database a history lives in: `""` for the platform's default
 * (Deno Deploy's KV), `":memory:"` for one that keeps nothing, or a file path
 * whose folder is created when missing.
 *
 * @param path Where the database is.
 * @returns The open database.
 */
export async function openKv(path: string): Promise<Deno.Kv> {
  if (path === "") return await Deno.openKv();
  if (path === ":memory:") return await Deno.openKv(path);
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  return await Deno.openKv(path);
}

/**
 * Waits a random time up to `maxMs`, so racing writers spread out.
 *
 * @param maxMs Longest pause, in milliseconds.
 * @returns A promise that resolves after the pause.
 */
export function randomPause(maxMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * maxMs));
}

/**
 * Commits, reporting a local database that another handle holds locked
 * (SQLite's busy error) as a failed check, so the caller retries like any
 * other lost race.
 *
 * @param atomic The operation to commit.
 * @returns The commit's result; `{ ok: false }` when the database was busy.
 * @throws Any other error of the commit.
 */
export async function commitOrBusy(
  atomic: Deno.AtomicOperation,
): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
  try {
    return await atomic.commit();
  } catch (error) {
    if (
      !(error instanceof TypeError) || !/database is locked/.test(error.message)
    ) {
      throw error;
    }
    await randomPause(BUSY_RETRY_MS);
    return { ok: false };
  }
}
