/**
 * Starts the servers under test as child processes pinned to one core: our
 * chat server, two of its instances sharing one Redis, and the peers in
 * `peers/`. Each prints a line with its URL.
 *
 * @module
 */
import { SKIP_REDIS, startRedis } from "../testing/redis.ts";

/**
 * The servers the benchmark knows. `ours_redis` is two instances of our
 * server sharing one `redis-server` (scale-out: the load spreads its sockets
 * over both). `baseline` is our server from another checkout (the folder in
 * `BENCH_BASELINE_DIR`, e.g. from `git archive`), so a change can be
 * measured against its parent in the same interleaved run.
 */
export const TARGETS = [
  "ours",
  "naive_deno",
  "node_ws",
  "bun",
  "ours_redis",
  "baseline",
] as const;
/** One of {@linkcode TARGETS}. */
export type TargetName = typeof TARGETS[number];

/** A running server under test: one process, or several that share the load. */
export interface Target extends AsyncDisposable {
  name: TargetName;
  /** Process ids, for `/proc/PID/stat`: the servers and what they share (Redis). */
  pids: number[];
  /** `ws://127.0.0.1:PORT/ws` of each server the load connects to. */
  wsUrls: string[];
}

/** Options for {@linkcode startTarget}. */
export interface StartTargetOptions {
  /**
   * CPU core the server is pinned to with `taskset`, or `null` for none.
   *
   * @default {0}
   */
  core?: number | null;
  /**
   * Folder with the peers' npm packages (`node_modules` inside).
   *
   * @default {"bench/peers/node_modules_dir"}
   */
  peerModulesDir?: string;
  /**
   * Flags appended to our server's (ours and baseline; peers take none),
   * e.g. `--kv-path=…`; a later flag overrides an earlier one.
   *
   * @default {[]}
   */
  args?: readonly string[];
}

const ROOT = new URL("../", import.meta.url).pathname;
/** Environment variable naming the checkout the `baseline` target runs. */
export const BASELINE_DIR_VARIABLE = "BENCH_BASELINE_DIR";

function baselineDir(): string | undefined {
  const dir = Deno.env.get(BASELINE_DIR_VARIABLE);
  return dir ? dir.replace(/\/?$/, "/") : undefined;
}
const PEERS = new URL("./peers/", import.meta.url).pathname;
/** Where `install_peers.sh` puts the peers' npm packages. */
export const PEER_MODULES_DIR = `${PEERS}node_modules_dir`;

/**
 * Our server's settings for the benchmark: everything at its default except
 * what the load needs. Rate limits go up because a few senders stand in for
 * many users; connections to 20,000 for the idle scenario; heartbeats and
 * the slow-consumer bounds stay on. History is stored as always, in an
 * in-memory Deno KV (the same commits, without the disk).
 */
export const OUR_SERVER_ARGS: readonly string[] = [
  "--hostname=127.0.0.1",
  "--port=0",
  "--rate-limit=1000000",
  "--rate-burst=1000000",
  "--max-connections=20000",
  "--log-level=warn",
  "--kv-path=:memory:",
];

function command(
  name: TargetName,
  modulesDir: string,
  extraArgs: readonly string[],
): string[] {
  switch (name) {
    case "ours":
    case "ours_redis":
    case "baseline":
      return [
        Deno.execPath(),
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-env",
        ...writePermission(extraArgs),
        `${name === "baseline" ? baselineDir() : ROOT}main.ts`,
        ...OUR_SERVER_ARGS,
        ...extraArgs,
      ];
    case "naive_deno":
      return [
        Deno.execPath(),
        "run",
        "--allow-net",
        "--allow-env",
        `${PEERS}naive_deno.ts`,
      ];
    case "node_ws":
      return ["node", `${PEERS}node_ws.mjs`];
    case "bun":
      return [`${modulesDir}/node_modules/bun/bin/bun.exe`, `${PEERS}bun.js`];
  }
}

/** Write access to the folder of a `--kv-path` file among `args`, if any. */
function writePermission(args: readonly string[]): string[] {
  const path = args.findLast((arg) => arg.startsWith("--kv-path="))
    ?.slice("--kv-path=".length);
  if (path === undefined || path === ":memory:" || path === "") return [];
  const slash = path.lastIndexOf("/");
  return [`--allow-write=${slash > 0 ? path.slice(0, slash) : "."}`];
}

/**
 * Whether a peer's runtime and packages are installed.
 *
 * @param name Target name.
 * @param modulesDir Folder of the peers' npm packages.
 * @returns `true` when it can be started.
 */
export async function isAvailable(
  name: TargetName,
  modulesDir: string = PEER_MODULES_DIR,
): Promise<boolean> {
  const baseline = baselineDir();
  const paths: Record<TargetName, string | null> = {
    ours: null,
    baseline: baseline === undefined ? "" : `${baseline}main.ts`,
    "naive_deno": null,
    "node_ws": `${modulesDir}/node_modules/ws/package.json`,
    bun: `${modulesDir}/node_modules/bun/bin/bun.exe`,
    "ours_redis": null,
  };
  if (name === "ours_redis") return !SKIP_REDIS;
  const path = paths[name];
  if (path === null) return true;
  if (path === "") return false;
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** One server process, once it listens. */
interface Started extends AsyncDisposable {
  pid: number;
  wsUrl: string;
}

/**
 * Starts one server process and waits for its `Listening on http://…` line.
 *
 * @throws {Error} When it exits or stays silent for 15 s.
 */
async function startProcess(
  label: string,
  argv: string[],
  peerModulesDir: string,
): Promise<Started> {
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

/** Instances of our server in the `ours_redis` target. */
const REDIS_INSTANCES = 2;

/**
 * Starts one server, or for `ours_redis` a `redis-server` and
 * {@linkcode REDIS_INSTANCES} instances of ours on it, all on one core.
 *
 * @param name Which server.
 * @param options Core to pin it to, where the peers' packages are.
 * @returns The running server; dispose it to stop it (SIGTERM, then SIGKILL).
 * @throws {Error} When a process exits or stays silent for 15 s.
 */
export async function startTarget(
  name: TargetName,
  options: StartTargetOptions = {},
): Promise<Target> {
  const { core = 0, peerModulesDir = PEER_MODULES_DIR, args = [] } = options;
  const pinned = (argv: string[]) =>
    core === null ? argv : ["taskset", "-c", String(core), ...argv];
  const stack = new AsyncDisposableStack();
  try {
    const pids: number[] = [];
    const wsUrls: string[] = [];
    if (name === "ours_redis") {
      // Under bench/results/ (git-ignored), the one folder the bench task may write.
      const parentDir = `${ROOT}bench/results`;
      await Deno.mkdir(parentDir, { recursive: true });
      const redis = stack.use(await startRedis({ core, parentDir }));
      pids.push(redis.pid);
      for (let i = 0; i < REDIS_INSTANCES; i++) {
        const argv = command("ours", peerModulesDir, [
          ...args,
          `--redis-url=${redis.url}`,
        ]);
        const instance = stack.use(
          await startProcess(`${name} ${i}`, pinned(argv), peerModulesDir),
        );
        pids.unshift(instance.pid);
        wsUrls.push(instance.wsUrl);
      }
    } else {
      const argv = command(name, peerModulesDir, args);
      const server = stack.use(
        await startProcess(name, pinned(argv), peerModulesDir),
      );
      pids.push(server.pid);
      wsUrls.push(server.wsUrl);
    }
    const started = stack.move();
    return {
      name,
      pids,
      wsUrls,
      [Symbol.asyncDispose]: () => started.disposeAsync(),
    };
  } catch (error) {
    await stack.disposeAsync();
    throw error;
  }
}
