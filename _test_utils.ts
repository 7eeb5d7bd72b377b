/**
 * Helpers the tests share: a real server on a free port, a WebSocket client
 * that queues what it receives, a raw TCP WebSocket peer that never reads,
 * and a condition poller.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { type ChatHandler, createHandler } from "./main.ts";
import {
  type ChatMessage,
  DEFAULT_ROOM,
  JSON_PROTOCOL,
  type ServerEvent,
} from "./protocol.ts";

/** How long a test waits for an expected event before failing. */
export const TEST_TIMEOUT_MS = 10_000;

/** A chat server listening on a free loopback port. */
export interface TestServer extends AsyncDisposable {
  handler: ChatHandler;
  server: Deno.HttpServer<Deno.NetAddr>;
  port: number;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** `ws://127.0.0.1:PORT/ws` */
  wsUrl: string;
}

/**
 * Starts a real server with `config` overrides (and, optionally, another UI
 * folder); dispose it to stop it.
 */
export function startServer(
  config: Partial<Config> = {},
  options: { staticDir?: string } = {},
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
    async [Symbol.asyncDispose]() {
      await handler.shutdown();
      await server.shutdown();
    },
  };
}

/** Rejects after `ms` unless `promise` settles first; the timer is always cleared. */
export async function withTimeout<T>(
  promise: Promise<T>,
  what: string,
  ms = TEST_TIMEOUT_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` every 10 ms until it holds; fails after the test timeout. */
export async function waitFor(
  condition: () => boolean,
  what: string,
): Promise<void> {
  const deadline = Date.now() + TEST_TIMEOUT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A WebSocket client that queues every frame it receives. */
export class TestClient implements AsyncDisposable {
  readonly socket: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<CloseEvent>;
  #frames: string[] = [];
  #waiting: PromiseWithResolvers<void> | null = null;

  /** Connects to `url`; `json: true` asks for the `chat.v1` subprotocol. */
  constructor(url: string, options: { json?: boolean } = {}) {
    this.socket = options.json
      ? new WebSocket(url, JSON_PROTOCOL)
      : new WebSocket(url);
    const opened = Promise.withResolvers<void>();
    const closed = Promise.withResolvers<CloseEvent>();
    this.opened = opened.promise;
    this.closed = closed.promise;
    this.socket.onopen = () => opened.resolve();
    this.socket.onerror = () =>
      opened.reject(new Error(`Cannot connect to ${url}`));
    this.socket.onclose = (event) => {
      opened.reject(new Error(`Closed before open: ${event.code}`));
      closed.resolve(event);
      this.#wake();
    };
    this.socket.onmessage = (event) => {
      this.#frames.push(String(event.data));
      this.#wake();
    };
    this.opened.catch(() => {});
  }

  /** Frames received and not yet taken. */
  get buffered(): number {
    return this.#frames.length;
  }

  /** The next text frame. */
  async nextFrame(): Promise<string> {
    while (this.#frames.length === 0) {
      if (this.socket.readyState === WebSocket.CLOSED) {
        throw new Error("Socket closed while waiting for a frame");
      }
      this.#waiting = Promise.withResolvers<void>();
      await withTimeout(this.#waiting.promise, "a frame");
    }
    return this.#frames.shift()!;
  }

  /** The next server event; a batched frame yields its events one by one. */
  async nextEvent(): Promise<ServerEvent> {
    while (this.#events.length === 0) {
      const data = JSON.parse(await this.nextFrame());
      this.#events.push(...(Array.isArray(data) ? data : [data]));
    }
    return this.#events.shift()!;
  }

  /** Skips events until one of `type` arrives and returns it. */
  async nextOfType<T extends ServerEvent["type"]>(
    type: T,
  ): Promise<Extract<ServerEvent, { type: T }>> {
    while (true) {
      const event = await this.nextEvent();
      if (event.type === type) {
        return event as Extract<ServerEvent, { type: T }>;
      }
    }
  }

  /** Sends a JSON request. */
  sendJson(request: Record<string, unknown>): void {
    this.socket.send(JSON.stringify(request));
  }

  /** Closes the socket and waits for the close to complete. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close();
    await withTimeout(this.closed, "the socket to close");
  }

  #events: ServerEvent[] = [];

  #wake(): void {
    this.#waiting?.resolve();
    this.#waiting = null;
  }
}

/** Opens a client and waits until it is connected. */
export async function connect(
  url: string,
  options: { json?: boolean } = {},
): Promise<TestClient> {
  const client = new TestClient(url, options);
  await withTimeout(client.opened, `a connection to ${url}`);
  return client;
}

/** Opens a JSON client, consumes its `hello` and joins `rooms` (default: `general`). */
export async function connectJson(
  url: string,
  rooms: string[] = [DEFAULT_ROOM],
): Promise<{
  client: TestClient;
  hello: Extract<ServerEvent, { type: "hello" }>;
  joined: Extract<ServerEvent, { type: "joined" }>[];
}> {
  const client = await connect(url, { json: true });
  const hello = await client.nextOfType("hello");
  const joined = [];
  for (const room of rooms) {
    client.sendJson({ type: "join", room });
    joined.push(await client.nextOfType("joined"));
  }
  return { client, hello, joined };
}

/**
 * Performs a WebSocket handshake over raw TCP and then never reads or answers
 * pings: a peer that is dead or too slow. Returns the open connection.
 */
export async function openSilentPeer(
  port: number,
  path = "/ws",
): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const key = btoa(
    String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))),
  );
  const request = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${key}`,
    "Sec-WebSocket-Version: 13",
    "",
    "",
  ].join("\r\n");
  await conn.write(new TextEncoder().encode(request));
  const buffer = new Uint8Array(1024);
  const read = await conn.read(buffer);
  const head = new TextDecoder().decode(buffer.subarray(0, read ?? 0));
  if (!head.startsWith("HTTP/1.1 101")) {
    conn.close();
    throw new Error(`Handshake failed: ${head.split("\r\n")[0]}`);
  }
  return conn;
}

/** A `deno run main.ts` child process serving on a free port. */
export interface ServerProcess extends AsyncDisposable {
  process: Deno.ChildProcess;
  /** The URL the server printed, e.g. `http://127.0.0.1:41234/`. */
  url: string;
  /** Everything the process wrote to stderr so far, for failure messages. */
  stderr(): string;
}

const MAIN = new URL("./main.ts", import.meta.url).pathname;

/**
 * Starts `deno run main.ts` with `args` (after defaults of a free port and an
 * in-memory KV, which later flags override) and waits for the URL it prints.
 * `denoArgs` go to `deno run` itself, e.g. `--deny-write`.
 */
export async function spawnServer(
  args: string[] = [],
  env: Record<string, string> = {},
  denoArgs: string[] = [],
): Promise<ServerProcess> {
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      ...denoArgs,
      MAIN,
      "--hostname",
      "127.0.0.1",
      "--port",
      "0",
      "--kv-path",
      ":memory:",
      ...args,
    ],
    env,
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

/** Sends a message and waits for its `ack`; throws on an `error` for it. */
export async function sendAndAck(
  client: TestClient,
  room: string,
  text: string,
  nonce: string,
): Promise<Extract<ServerEvent, { type: "ack" }>> {
  client.sendJson({ type: "send", room, text, nonce });
  while (true) {
    const event = await client.nextEvent();
    if (event.type === "ack" && event.nonce === nonce) return event;
    if (event.type === "error" && event.nonce === nonce) {
      throw new Error(`Cannot send "${text}": ${event.code}`);
    }
  }
}

/** The next `count` messages a client receives, skipping other events. */
export async function nextMessages(
  client: TestClient,
  count: number,
): Promise<ChatMessage[]> {
  const received = [];
  while (received.length < count) {
    received.push(await client.nextOfType("message"));
  }
  return received;
}
