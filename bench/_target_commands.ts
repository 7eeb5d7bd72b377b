/**
 * The benchmark's targets and the command line each one runs: our server
 * (from this checkout or a baseline one) with its benchmark settings, and the
 * peers in `peers/`; and whether a target's runtime and packages are
 * installed.
 *
 * @module
 */
import { SKIP_REDIS } from "../testing/redis.ts";

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

/** The repository's root folder, ending in `/`. */
export const ROOT = new URL("../", import.meta.url).pathname;
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

/**
 * The command line that starts one target's server process.
 *
 * @param name Target name (`ours_redis` runs as `ours`).
 * @param modulesDir Folder of the peers' npm packages.
 * @param extraArgs Flags appended to our server's; peers take none.
 * @returns The program and its arguments.
 */
export function targetCommand(
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
