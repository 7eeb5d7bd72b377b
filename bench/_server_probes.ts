/**
 * Readers of a soak target's health from outside: its `/metrics` samples and
 * its process's open file descriptors.
 *
 * @module
 */

/**
 * Reads `/metrics` into `name{labels}` → value.
 *
 * @param origin The server's origin.
 * @returns Every sample of the scrape.
 */
export async function scrapeMetrics(
  origin: string,
): Promise<Map<string, number>> {
  const res = await fetch(`${origin}/metrics`);
  const text = await res.text();
  if (!res.ok) throw new Error(`Cannot scrape metrics: HTTP ${res.status}`);
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/**
 * Counts the open file descriptors of process `pid` by listing
 * `/proc/PID/fd` with `ls` (Deno lets only `--allow-all` read `/proc`).
 *
 * @param pid A process id.
 * @returns The number of open descriptors.
 */
export async function openFds(pid: number): Promise<number> {
  const output = await new Deno.Command("ls", {
    args: [`/proc/${pid}/fd`],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!output.success) throw new Error(`Cannot list /proc/${pid}/fd`);
  return new TextDecoder().decode(output.stdout).split("\n")
    .filter(Boolean).length;
}
