/**
 * The chat server: `createHandler()` for embedding and tests (from
 * `handler.ts`), and the command-line entry point (`deno task start`):
 * settings, `Deno.serve`, signals and graceful shutdown.
 *
 * @module
 */
import { type Backend, openBackend } from "./server/backend.ts";
import {
  type Config,
  ConfigError,
  helpText,
  loadConfig,
} from "./server/config.ts";
import { createHandler } from "./server/handler.ts";
import { log, print, setLogLevel } from "./observability/log.ts";

export {
  type ChatHandler,
  createHandler,
  type HandlerOptions,
} from "./server/handler.ts";

/**
 * Runs the server from the command line until SIGINT or SIGTERM.
 *
 * @param args Command-line arguments.
 * @returns The process exit code: 0 after a clean shutdown, 2 for bad settings.
 */
export async function run(args: readonly string[]): Promise<number> {
  let config: Config;
  try {
    const result = loadConfig(args, (name) => Deno.env.get(name));
    if (result.help) {
      print(helpText());
      return 0;
    }
    config = result.config;
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
    const detail = error instanceof Error ? error.message : String(error);
    print(
      `error: Cannot open CHAT_KV_PATH "${config.kvPath}": ${detail}`,
      "stderr",
    );
    return 2;
  }
  log("info", "server.backend", { broker: backend.kind });
  const { broker, history, presence, health, busMetrics } = backend;
  const handler = createHandler({
    config,
    broker,
    history,
    presence,
    health,
    busMetrics,
  });
  try {
    await handler.ready();
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) {
      throw error;
    }
    print(`error: ${error.message}`, "stderr");
    await handler.shutdown();
    await backend[Symbol.asyncDispose]();
    return 2;
  }
  const server = Deno.serve({
    hostname: config.hostname,
    port: config.port,
    onListen({ hostname, port }) {
      const shown = hostname === "0.0.0.0" || hostname === "::"
        ? "localhost"
        : hostname.includes(":")
        ? `[${hostname}]`
        : hostname;
      print(`Listening on http://${shown}:${port}/`);
      log("info", "server.listening", { hostname, port });
    },
  }, handler);

  const signal = await stop.promise;
  for (const [name, listener] of listeners) {
    Deno.removeSignalListener(name, listener);
  }
  log("info", "server.shutdown", { signal });
  const deadline = AbortSignal.timeout(config.shutdownTimeout);
  const finished = Promise.all([handler.shutdown(), server.shutdown()]);
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
