/**
 * One load process as `run.ts` drives it: spawned with its settings, told
 * what to do a line at a time on stdin, read a JSON line at a time from
 * stdout, and stopped.
 *
 * @module
 */
import type { LoadClientSettings } from "./load_client.ts";

/** A running load process and its stdio. */
export interface LoadProcess {
  /** The process. */
  child: Deno.ChildProcess;
  /** Its stdin, where the commands go. */
  writer: WritableStreamDefaultWriter<Uint8Array>;
  /** Its stdout, decoded. */
  reader: ReadableStreamDefaultReader<string>;
  /** Reads the next JSON line the process prints. */
  next(): Promise<Record<string, unknown>>;
}

const LOAD_CLIENT = new URL("./load_client.ts", import.meta.url).pathname;
const encoder = new TextEncoder();

/**
 * Spawns `load_client.ts` with `settings`.
 *
 * @param settings What the process opens and sends.
 * @param core Core to pin it to with `taskset`, or `null`.
 * @returns The process; its `next()` throws when it exits before the next line.
 */
export function spawnLoadProcess(
  settings: LoadClientSettings,
  core: number | null,
): LoadProcess {
  const argv = [
    Deno.execPath(),
    "run",
    "--allow-net",
    LOAD_CLIENT,
    JSON.stringify(settings),
  ];
  if (core !== null) argv.unshift("taskset", "-c", String(core));
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return {
    child,
    writer: child.stdin.getWriter(),
    reader,
    async next() {
      while (!buffered.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("Cannot read load process: it exited");
        buffered += value;
      }
      const newline = buffered.indexOf("\n");
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      return JSON.parse(line);
    },
  };
}

/**
 * Sends one command line (`go`, `pause`, `reset`, `stop`) to every process.
 *
 * @param processes The load processes.
 * @param line The command, without its newline.
 * @returns When every process's stdin has taken it.
 */
export function sendCommand(
  processes: readonly LoadProcess[],
  line: string,
): Promise<void[]> {
  return Promise.all(
    processes.map((child) => child.writer.write(encoder.encode(`${line}\n`))),
  );
}

/**
 * Closes a process's stdin and waits for it to exit, killing it when it has
 * not within 5 seconds.
 *
 * @param child The load process.
 */
export async function stopLoadProcess(child: LoadProcess): Promise<void> {
  await child.writer.close().catch(() => {});
  const timer = setTimeout(() => {
    try {
      child.child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }, 5_000);
  await child.child.status;
  clearTimeout(timer);
  await child.reader.cancel().catch(() => {});
}
