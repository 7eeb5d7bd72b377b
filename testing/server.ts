/**
 * A real chat server for tests, in this process, on a free loopback port.
 *
 * @module
 */
import type { Config } from "../server/config.ts";
import { defaultConfig } from "../server/settings.ts";
import { TcpServer } from "../server/tcp_server.ts";
import {
  type ChatHandler,
  createHandler,
  type HandlerOptions,
} from "../main.ts";
import { withTimeout } from "./async.ts";
import { KvHistory } from "../kv/history.ts";

/** What a test server listens with: `Deno.serve`'s server, or a `TcpServer`. */
interface Listening {
  readonly addr: Deno.NetAddr;
  shutdown(): Promise<void>;
}

/** A chat server listening on a free loopback port. */
export interface TestServer<S extends Listening = Deno.HttpServer<Deno.NetAddr>>
  extends AsyncDisposable {
  handler: ChatHandler;
  server: S;
  port: number;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** `ws://127.0.0.1:PORT/ws` */
  wsUrl: string;
  /** Resolves once exactly `count` WebSocket connections are open; fails after the test timeout. */
  untilConnections(count: number): Promise<void>;
}

function testServer<S extends Listening>(
  handler: ChatHandler,
  server: S,
): TestServer<S> {
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
  return testServer(handler, server);
}

/**
 * Starts a real server on the accept loop `main.ts` uses ({@linkcode
 * TcpServer}), with `config` overrides (its request deadline and
 * per-address cap among them).
 */
export function startTcpServer(
  config: Partial<Config> = {},
): TestServer<TcpServer> {
  const handler = createHandler({ config: { logLevel: "error", ...config } });
  const defaults = defaultConfig();
  const server = new TcpServer(handler, {
    hostname: "127.0.0.1",
    port: 0,
    handshakeTimeout: config.handshakeTimeout ?? defaults.handshakeTimeout,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress ??
      defaults.maxConnectionsPerAddress,
  });
  return testServer(handler, server);
}

/**
 * An in-memory history whose `general` room holds 100 messages of 4,000
 * characters: each history page is as large as the send buffer lets it be,
 * for peers that ask for pages and do not read them.
 */
export async function largeHistory(): Promise<KvHistory> {
  const history = new KvHistory(Deno.openKv(":memory:"));
  await history.append(
    "general",
    Array.from({ length: 100 }, (_, i) => ({
      userId: "writer",
      user: "writer",
      text: "h".repeat(4000),
      nonce: `${i}`,
    })),
  );
  return history;
}
