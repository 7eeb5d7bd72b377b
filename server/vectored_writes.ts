/**
 * Vectored WebSocket frame writes for the process (Deno's `DENO_USE_WRITEV`).
 *
 * By default Deno copies each frame it sends into a write buffer that stays
 * with its socket, as large as the largest frame the socket was ever sent: a
 * `chat.v1` connection keeps the ~13 KB of its `joined` frame for its life.
 * With `DENO_USE_WRITEV` set, Deno writes the frame's header and payload
 * straight to the socket instead and keeps no buffer (measured on Deno
 * 2.9.6: 13.7 KiB per idle socket after one 13 KB frame, ~0 after
 * `malloc_trim`, with the same system calls per frame). Deno reads the
 * variable once, when the process's first server WebSocket opens, so this
 * must run before the first upgrade.
 *
 * @module
 */

/** The variable Deno reads; an empty value turns vectored writes off. */
export const VECTORED_WRITES_VARIABLE = "DENO_USE_WRITEV";

/**
 * Turns on vectored frame writes for this process, unless its environment
 * already sets {@linkcode VECTORED_WRITES_VARIABLE} (the operator's choice
 * stands), or the process may not read and write it, or the runtime cannot
 * set it.
 *
 * @returns Whether server WebSockets opened from now on write vectored.
 */
export function preferVectoredWrites(): boolean {
  // Deno Deploy documents neither permission queries nor `Deno.env.set`.
  if (typeof Deno.permissions?.querySync !== "function") return false;
  const access = Deno.permissions.querySync({
    name: "env",
    variable: VECTORED_WRITES_VARIABLE,
  });
  if (access.state !== "granted") return false;
  const chosen = Deno.env.get(VECTORED_WRITES_VARIABLE);
  if (chosen !== undefined) return chosen !== "";
  Deno.env.set(VECTORED_WRITES_VARIABLE, "1");
  return true;
}
