/**
 * A real chat server for tests, in this process, on a free loopback port.
 *
 * @module
 */
import type { Config } from "../server/config.ts";
import {
  type ChatHandler,
  createHandler,
  type HandlerOptions,
} from "../main.ts";
import { withTimeout } from "./async.ts";

/** A chat server listening on a free loopback port. */
export interface TestServer extends AsyncDisposable {
  handler: ChatHandler;
  server: Deno.HttpServer<Deno.NetAddr>;
  port: number;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** `ws://127.0.0.1:PORT/ws` */
  wsUrl: string;
  /** Waits until exactly `count` connections are open; fails after the test timeout. */
  untilConnections(count: number): Promise<void>;
}

/**
 * Starts a real server with `config` overrides and, optionally, other
 * handler options (a UI folder, a backend); dispose it to stop it.
 */
export function startServer(
  config: Partial<Config> = {},
  options: Omit<HandlerOptions, "config"> = {},
): TestServer {
  const handler = createHandler({
    config: { logLevel: "error", ...config },
    ...options,
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
  const port = server.addr.port;
  return {
    handler,
    server,
    port,
    origin: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    untilConnections: (count) =>
      withTimeout(
        handler.connectionCountReaches(count),
        `${count} open connections`,
      ),
    async [Symbol.asyncDispose]() {
      await handler.shutdown();
      await server.shutdown();
    },
  };
}
