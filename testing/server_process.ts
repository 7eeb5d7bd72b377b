/**
 * The chat server as a `deno run main.ts` child process on a free port, for
 * tests and tools that need it as users run it.
 *
 * @module
 */
import { withTimeout } from "./async.ts";

/** A `deno run main.ts` child process serving on a free port. */
export interface ServerProcess extends AsyncDisposable {
  process: Deno.ChildProcess;
  /** The URL the server printed, e.g. `http://127.0.0.1:41234/`. */
  url: string;
  /** Everything the process wrote to stderr so far, for failure messages. */
  stderr(): string;
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;

/** Options for {@linkcode spawnServer}. */
export interface SpawnOptions {
  /** Environment variables to add to this process's (with `clearEnv`, the whole environment). */
  env?: Record<string, string>;
  /** Whether the child gets `env` alone, without this process's environment. */
  clearEnv?: boolean;
  /** Flags for `deno run` itself, e.g. `--deny-write`. */
  denoArgs?: string[];
  /**
   * The `--allow-*` flags, replacing the default; with relative paths,
   * such as a task's, they are read from the repository's root.
   *
   * @default {["--allow-net", "--allow-read", "--allow-write", "--allow-env"]}
   */
  permissions?: string[];
  /**
   * `--kv-path` to pass before `args`; `null` passes none, leaving the
   * settings' own default.
   *
   * @default {":memory:"}
   */
  kvPath?: string | null;
}

/**
 * Starts `deno run main.ts` with `args` (after defaults of a free port and an
 * in-memory KV, which later flags override) and waits for the URL it prints.
 *
 * @param args Flags for the server.
 * @param options Environment, `deno run` flags and the KV default.
 * @returns The running server; dispose it to kill it.
 */
export async function spawnServer(
  args: string[] = [],
  options: SpawnOptions = {},
): Promise<ServerProcess> {
  const {
    env = {},
    clearEnv = false,
    denoArgs = [],
    kvPath = ":memory:",
    permissions = [
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
    ],
  } = options;
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...permissions,
      ...denoArgs,
      MAIN,
      "--hostname",
      "127.0.0.1",
      "--port",
      "0",
      ...(kvPath === null ? [] : ["--kv-path", kvPath]),
      ...args,
    ],
    env,
    clearEnv,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let errors = "";
  const stderrDone = process.stderr.pipeThrough(new TextDecoderStream())
    .pipeTo(new WritableStream({ write: (chunk) => void (errors += chunk) }));
  const lines = process.stdout.pipeThrough(new TextDecoderStream());
  const reader = lines.getReader();
  let output = "";
  let url: string | undefined;
  try {
    while (url === undefined) {
      const { value, done } = await withTimeout(
        reader.read(),
        "the server URL",
      );
      if (done) throw new Error(`Server exited before listening:\n${errors}`);
      output += value;
      url = output.match(/Listening on (http:\/\/\S+)/)?.[1];
    }
  } catch (error) {
    process.kill();
    await process.status;
    throw error;
  }
  const stdoutDone = (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    process,
    url,
    stderr: () => errors,
    async [Symbol.asyncDispose]() {
      try {
        process.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await process.status;
      await Promise.all([stdoutDone, stderrDone]);
    },
  };
}

/**
 * The `--allow-*` flags of a task in deno.json, with paths relative to the
 * repository's root.
 *
 * @param task The task's name, e.g. `"start"`.
 * @returns Its permission flags, in order.
 */
export async function taskPermissions(task: string): Promise<string[]> {
  const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const command: string = denoJson.tasks[task];
  return command.split(" ").filter((arg) => arg.startsWith("--allow-"));
}

/**
 * Sends one HTTP/1.1 request on a connection of its own, closed after it
 * (so that it is the only one a server's connection count sees).
 *
 * @param port The server's loopback port.
 * @param path Path and query.
 * @returns The whole response, head included; empty when the server reset
 *   the connection.
 */
export async function fetchOnce(port: number, path: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      ),
    );
    return await new Response(conn.readable).text();
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionReset) return "";
    throw error;
  }
}
