/**
 * Starts the servers under test as child processes pinned to one core: our
 * chat server, two of its instances sharing one Redis, and the peers in
 * `peers/`. Each prints a line with its URL.
 *
 * @module
 */
import { startRedis } from "../testing/redis.ts";
import { startTargetProcess } from "./_target_process.ts";
import {
  PEER_MODULES_DIR,
  ROOT,
  targetCommand,
  type TargetName,
} from "./_target_commands.ts";

export {
  BASELINE_DIR_VARIABLE,
  isAvailable,
  OUR_SERVER_ARGS,
  PEER_MODULES_DIR,
  type TargetName,
  TARGETS,
} from "./_target_commands.ts";

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
        const argv = targetCommand("ours", peerModulesDir, [
          ...args,
          `--redis-url=${redis.url}`,
        ]);
        const instance = stack.use(
          await startTargetProcess(
            `${name} ${i}`,
            pinned(argv),
            peerModulesDir,
          ),
        );
        pids.unshift(instance.pid);
        wsUrls.push(instance.wsUrl);
      }
    } else {
      const argv = targetCommand(name, peerModulesDir, args);
      const server = stack.use(
        await startTargetProcess(name, pinned(argv), peerModulesDir),
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
