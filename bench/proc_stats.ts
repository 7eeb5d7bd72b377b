/**
 * What Linux's `/proc` says about a process: CPU time used and resident memory.
 *
 * @module
 */

/** A reading of one process's counters. */
export interface ProcSample {
  /** User plus system CPU time, in milliseconds. */
  cpuMs: number;
  /** Resident set size, in bytes. */
  rssBytes: number;
}

/**
 * Clock ticks per second for `/proc/PID/stat`. Linux reports `utime`/`stime`
 * in USER_HZ, which is 100 on every mainstream architecture (see proc(5)).
 */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Reads the CPU time and RSS of process `pid`.
 *
 * @param pid Process id.
 * @returns The sample.
 * @throws {Deno.errors.NotFound} When the process has gone.
 *
 * @example The current process
 * ```ts
 * import assert from "node:assert/strict";
 * import { readProcSample } from "./proc_stats.ts";
 *
 * const sample = await readProcSample(Deno.pid);
 * assert.ok(sample.rssBytes > 0);
 * ```
 */
export async function readProcSample(pid: number): Promise<ProcSample> {
  // Deno asks for --allow-all to read another process's /proc files, so
  // `cat` (which --allow-run covers) reads them.
  const { success, stdout } = await new Deno.Command("cat", {
    args: [`/proc/${pid}/stat`, `/proc/${pid}/status`],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!success) {
    throw new Deno.errors.NotFound(`Cannot read /proc/${pid}: no such process`);
  }
  const text = new TextDecoder().decode(stdout);
  const newline = text.indexOf("\n");
  const stat = text.slice(0, newline);
  const status = text.slice(newline + 1);
  // The command name in parentheses may hold spaces; fields follow the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here.
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKib = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? "0");
  return {
    cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND,
    rssBytes: rssKib * 1024,
  };
}
