/**
 * One server process of a benchmark target: spawned, waited for until it
 * prints the URL it listens on, and stopped.
 *
 * @module
 */
import { ROOT } from "./_target_commands.ts";

/** One server process, once it listens. */
export interface TargetProcess extends AsyncDisposable {
  /** Its process id. */
  pid: number;
  /** `ws://127.0.0.1:PORT/ws` of the server. */
  wsUrl: string;
}

/**
 * Starts one server process and waits for its `Listening on http://…` line.
 *
 * @param label Name of the process in error messages.
 * @param argv The program and its arguments.
 * @param peerModulesDir Folder of the peers' npm packages, for `NODE_PATH`.
 * @returns The running process; dispose it to stop it (SIGTERM, then SIGKILL).
 * @throws {Error} When it exits or stays silent for 15 s.
 */
export async function startTargetProcess(
  label: string,
  argv: string[],
  peerModulesDir: string,
): Promise<TargetProcess> {
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    cwd: ROOT,
    env: {
      NODE_PATH: `${peerModulesDir}/node_modules`,
      PORT: "0",
      // Every load client connects from 127.0.0.1 (a setting that checkouts
      // older than it ignore).
      CHAT_MAX_CONNECTIONS_PER_ADDRESS: "0",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  let seen = "";
  let port = 0;
  try {
    while (port === 0) {
      const { value, done } = await reader.read();
      if (done) {
        throw new Error(`Cannot start ${label}: exited; said "${seen}"`);
      }
      seen += value;
      const match = /Listening on http:\/\/[^:/]+:(\d+)/.exec(seen);
      if (match) port = Number(match[1]);
    }
  } finally {
    clearTimeout(timer);
  }
  // Keep draining stdout so a chatty server never blocks on a full pipe.
  const drained = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })().catch(() => {});
  return {
    pid: child.pid,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      const killer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Already gone.
        }
      }, 5_000);
      await child.status;
      clearTimeout(killer);
      await drained;
    },
  };
}
