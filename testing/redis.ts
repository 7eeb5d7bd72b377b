/**
 * A real `redis-server` for tests, on a free loopback port, plus a cluster
 * of `deno run main.ts` instances that use it.
 *
 * When `redis-server` is not installed the Redis tests fail with a clear
 * message under `CI=true` or `REQUIRE_REDIS=1`, and are skipped with a loud
 * warning otherwise.
 *
 * @module
 */
import { spawnServer } from "./server_process.ts";
import { print } from "../observability/log.ts";

function redisInstalled(): boolean {
  try {
    return new Deno.Command("redis-server", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function redisRequired(): boolean {
  return Deno.env.get("CI") === "true" || Deno.env.get("REQUIRE_REDIS") === "1";
}

/** Whether Redis tests must be skipped: `redis-server` is missing and not required. */
export const SKIP_REDIS: boolean = (() => {
  if (redisInstalled()) return false;
  if (redisRequired()) {
    throw new Error(
      "Cannot run Redis tests: redis-server not found on PATH; install it (apt-get install redis-server) or unset CI and REQUIRE_REDIS",
    );
  }
  print(
    "WARNING: redis-server not found: SKIPPING every Redis test (set REQUIRE_REDIS=1 to fail instead)",
    "stderr",
  );
  return true;
})();

/** A `redis-server` child process; dispose it to stop it. */
export interface RedisServer extends AsyncDisposable {
  port: number;
  /** Process id of the running server, for `/proc/PID/stat`. */
  readonly pid: number;
  /** `redis://127.0.0.1:PORT` */
  url: string;
  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port, with the same data folder. */
  restart(): Promise<void>;
}

/** Options for {@linkcode startRedis}. */
export interface StartRedisOptions {
  /**
   * Write every change to an append-only file and fsync it before replying,
   * so that a restart keeps everything acknowledged.
   *
   * @default {false}
   */
  durable?: boolean;
  /**
   * CPU core to pin the server to with `taskset` (the benchmark's servers
   * share one), or `null` for none.
   *
   * @default {null}
   */
  core?: number | null;
  /**
   * Folder the server's own temporary folder goes in.
   *
   * @default {"the system's temporary folder"}
   */
  parentDir?: string;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/**
 * Starts `redis-server` on a free loopback port and waits until it accepts
 * connections.
 *
 * @param options Durability.
 * @returns The running server.
 */
export async function startRedis(
  options: StartRedisOptions = {},
): Promise<RedisServer> {
  const port = freePort();
  const dir = await Deno.makeTempDir({
    prefix: "chat_redis_",
    dir: options.parentDir,
  });
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--dir",
    dir,
    ...(options.durable
      ? ["--appendonly", "yes", "--appendfsync", "always"]
      : ["--appendonly", "no"]),
  ];
  let child: Deno.ChildProcess | null = null;
  let output: Promise<string> = Promise.resolve("");

  const command = options.core === undefined || options.core === null
    ? ["redis-server", ...args]
    : ["taskset", "-c", String(options.core), "redis-server", ...args];

  async function launch(): Promise<void> {
    const process = new Deno.Command(command[0]!, {
      args: command.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    child = process;
    const ready = Promise.withResolvers<void>();
    let log = "";
    output = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of process.stdout) {
        log += decoder.decode(chunk, { stream: true });
        if (log.includes("Ready to accept connections")) ready.resolve();
      }
      ready.reject(new Error(`redis-server exited:\n${log}`));
      return log;
    })();
    const stderr = process.stderr.cancel();
    const timer = setTimeout(
      () => ready.reject(new Error(`redis-server did not start:\n${log}`)),
      10_000,
    );
    try {
      await ready.promise;
    } catch (error) {
      await kill();
      throw error;
    } finally {
      clearTimeout(timer);
      await stderr;
    }
  }

  async function kill(): Promise<void> {
    const process = child;
    if (process === null) return;
    child = null;
    try {
      process.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await process.status;
    await output;
  }

  await launch();
  return {
    port,
    get pid() {
      if (child === null) {
        throw new Error("Cannot read pid: redis-server is stopped");
      }
      return child.pid;
    },
    url: `redis://127.0.0.1:${port}`,
    kill,
    async restart() {
      await kill();
      await launch();
    },
    async [Symbol.asyncDispose]() {
      await kill();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Several server processes sharing one Redis; dispose it to stop them all. */
export interface Cluster extends AsyncDisposable {
  /** `ws://127.0.0.1:PORT/ws` of each instance. */
  wsUrls: string[];
  /** `http://127.0.0.1:PORT/` of each instance. */
  urls: string[];
  /** Kills instance `index` with SIGKILL, as a crash would. */
  kill(index: number): Promise<void>;
}

/**
 * Starts `count` server processes with `--redis-url redisUrl`.
 *
 * @param redisUrl The Redis they share.
 * @param count How many.
 * @param args Extra flags for each.
 * @returns The running instances.
 */
export async function startCluster(
  redisUrl: string,
  count: number,
  args: string[] = [],
): Promise<Cluster> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        spawnServer([
          "--redis-url",
          redisUrl,
          "--log-level",
          "error",
          "--rate-limit",
          "1000",
          "--rate-burst",
          "1000",
          ...args,
        ]),
    ),
  );
  const urls = servers.map((server) => server.url);
  return {
    urls,
    wsUrls: urls.map((url) => `${url.replace("http", "ws")}ws`),
    async kill(index) {
      await servers[index]![Symbol.asyncDispose]();
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(servers.map((server) => server[Symbol.asyncDispose]()));
    },
  };
}

/**
 * Starts a `redis-server` and `count` server processes on it, for a test
 * that needs several instances and nothing else of Redis.
 *
 * @param count How many instances.
 * @param args Extra flags for each.
 * @returns The instances; disposing them stops Redis too.
 */
export async function startRedisCluster(
  count: number,
  args: string[] = [],
): Promise<Cluster & { redis: RedisServer }> {
  const redis = await startRedis();
  let cluster: Cluster;
  try {
    cluster = await startCluster(redis.url, count, args);
  } catch (error) {
    await redis[Symbol.asyncDispose]();
    throw error;
  }
  return {
    ...cluster,
    redis,
    async [Symbol.asyncDispose]() {
      await cluster[Symbol.asyncDispose]();
      await redis[Symbol.asyncDispose]();
    },
  };
}
