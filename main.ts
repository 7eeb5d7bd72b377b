/**
 * The chat server: `createHandler()` for embedding and tests (from
 * `handler.ts`), and the command-line entry point (`deno task start`):
 * settings, serving (its own accept loop, or `Deno.serve`), signals and
 * graceful shutdown.
 *
 * @module
 */
import { type Backend, openBackend } from "./server/backend.ts";
import { type Config, ConfigError } from "./server/config.ts";
import { helpText } from "./server/help_text.ts";
import { loadConfig } from "./server/load_config.ts";
import { type ChatHandler, createHandler } from "./server/handler.ts";
import { RestartingServer } from "./server/restarting_server.ts";
import { canServeTcp, TcpServer } from "./server/tcp_server.ts";
import { preferVectoredWrites } from "./server/vectored_writes.ts";
import { log, print, setLogLevel } from "./observability/log.ts";

export {
  type ChatHandler,
  createHandler,
  type HandlerOptions,
} from "./server/handler.ts";

/**
 * Which accept loop to run: `config.acceptLoop`, where `auto` is the own
 * loop unless the runtime lacks `Deno.serveHttp` or runs on Deno Deploy,
 * which has no `Deno.listen`.
 *
 * @throws {ConfigError} For `own` where the runtime cannot run it.
 */
function chooseAcceptLoop(config: Config): "own" | "deno" {
  if (config.acceptLoop === "own" && !canServeTcp()) {
    throw new ConfigError(
      'Invalid CHAT_ACCEPT_LOOP "own": this Deno has no Deno.serveHttp; use "deno"',
    );
  }
  if (config.acceptLoop !== "auto") return config.acceptLoop;
  const onDeploy = Deno.env.get("DENO_DEPLOYMENT_ID") !== undefined;
  return canServeTcp() && !onDeploy ? "own" : "deno";
}

/**
 * Listens and serves `handler` on the server's own accept loop (request
 * deadline, per-address cap) or with `Deno.serve`.
 */
function serve(
  handler: ChatHandler,
  config: Config,
  acceptLoop: "own" | "deno",
): TcpServer | RestartingServer {
  const options = {
    hostname: config.hostname,
    port: config.port,
    onListen({ hostname, port }: Deno.NetAddr) {
      const shown = hostname === "0.0.0.0" || hostname === "::"
        ? "localhost"
        : hostname.includes(":")
        ? `[${hostname}]`
        : hostname;
      print(`Listening on http://${shown}:${port}/`);
      log("info", "server.listening", { hostname, port, acceptLoop });
    },
  };
  if (acceptLoop === "deno") return new RestartingServer(handler, options);
  const server = new TcpServer(handler, {
    ...options,
    handshakeTimeout: config.handshakeTimeout,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
  });
  handler.metrics.addGauge(
    "chat_tcp_connections",
    "TCP connections open now, upgraded or not, until their socket closes",
    () => [[{}, server.connectionCount]],
  );
  return server;
}

/**
 * Runs the server from the command line until SIGINT or SIGTERM.
 *
 * @param args Command-line arguments.
 * @returns The process exit code: 0 after a clean shutdown, 2 for bad settings.
 */
export async function run(args: readonly string[]): Promise<number> {
  let config: Config;
  let acceptLoop: "own" | "deno";
  try {
    const result = loadConfig(args, (name) => Deno.env.get(name));
    if (result.help) {
      print(helpText());
      return 0;
    }
    config = result.config;
    acceptLoop = chooseAcceptLoop(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    print(`error: ${error.message}`, "stderr");
    print("Run with --help to see every setting.", "stderr");
    return 2;
  }
  setLogLevel(config.logLevel);
  // Listen for signals before the URL is printed, so a supervisor that stops
  // the server as soon as it is up still gets a graceful shutdown.
  const stop = Promise.withResolvers<string>();
  const signals = ["SIGINT", "SIGTERM"] as const;
  const listeners = signals.map((signal) => {
    const listener = () => stop.resolve(signal);
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  let backend: Backend;
  try {
    backend = await openBackend(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      print(`error: ${error.message}`, "stderr");
      return 2;
    }
    // `deno task start` may read and write only in data/.
    const detail = error instanceof Deno.errors.NotCapable
      ? "deno task start may write only in data/; put the file there, or run main.ts with --allow-read and --allow-write for its folder"
      : error instanceof Error
      ? error.message
      : String(error);
    print(
      `error: Cannot open CHAT_KV_PATH "${config.kvPath}": ${detail}`,
      "stderr",
    );
    return 2;
  }
  log("info", "server.backend", { broker: backend.kind });
  log("info", "server.frames", { vectored: preferVectoredWrites() });
  const handler = createHandler({
    config,
    broker: backend.broker,
    history: backend.history,
    presence: backend.presence,
    moderation: backend.moderation,
    control: backend.control,
    health: backend.health,
    busMetrics: backend.busMetrics,
  });
  try {
    await handler.ready();
  } catch (error) {
    if (
      !(error instanceof TypeError || error instanceof RangeError ||
        error instanceof ConfigError)
    ) throw error;
    print(`error: ${error.message}`, "stderr");
    await handler.shutdown();
    await backend[Symbol.asyncDispose]();
    return 2;
  }
  const server = serve(handler, config, acceptLoop);
  const apiServer = handler.api && config.apiPort !== 0
    ? Deno.serve({
      hostname: config.apiHostname,
      port: config.apiPort,
      onListen({ hostname, port }) {
        log("info", "api.listening", { hostname, port });
      },
    }, handler.api)
    : undefined;

  const signal = await stop.promise;
  for (const [name, listener] of listeners) {
    Deno.removeSignalListener(name, listener);
  }
  log("info", "server.shutdown", { signal });
  const deadline = AbortSignal.timeout(config.shutdownTimeout);
  const finished = Promise.all([
    handler.shutdown(),
    server.shutdown(),
    apiServer?.shutdown(),
  ]);
  const timedOut = new Promise<"timeout">((resolve) =>
    deadline.addEventListener("abort", () => resolve("timeout"), {
      once: true,
    })
  );
  if (await Promise.race([finished, timedOut]) === "timeout") {
    log("warn", "server.shutdown_timeout", { ms: config.shutdownTimeout });
  }
  await backend[Symbol.asyncDispose]();
  return 0;
}

if (import.meta.main) {
  Deno.exit(await run(Deno.args));
}
