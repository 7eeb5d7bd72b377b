/**
 * A WebSocket test client that queues what it receives, and the `chat.v1`
 * steps most tests take with it: connect, join, send and wait for the ack.
 *
 * @module
 */
import type { ChatMessage, LogEntry } from "../chat/events.ts";
import {
  DEFAULT_ROOM,
  JSON_PROTOCOL,
  type ServerEvent,
} from "../server/protocol.ts";
import { withTimeout } from "./async.ts";
import { signTestToken } from "./tokens.ts";

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

/**
 * Opens a JSON client, consumes its `hello`, signs in when given a token or a
 * guest key, and joins `rooms` (default: `general`).
 */
export async function connectJson(
  url: string,
  rooms: string[] = [DEFAULT_ROOM],
  signIn?: { token: string } | { guestKey: string },
): Promise<{
  client: TestClient;
  hello: Extract<ServerEvent, { type: "hello" }>;
  joined: Extract<ServerEvent, { type: "joined" }>[];
}> {
  const client = await connect(url, { json: true });
  const hello = await client.nextOfType("hello");
  if (signIn) {
    client.sendJson({ type: "auth", ...signIn, nonce: "sign-in" });
    const reply = await client.nextEvent();
    if (reply.type !== "authenticated") {
      await client[Symbol.asyncDispose]();
      throw new Error(`Cannot sign in: ${JSON.stringify(reply)}`);
    }
  }
  const joined = [];
  for (const room of rooms) {
    client.sendJson({ type: "join", room });
    joined.push(await client.nextOfType("joined"));
  }
  return { client, hello, joined };
}

/** Sends `request` and returns the next event answering its nonce. */
export async function ask(
  client: TestClient,
  request: Record<string, unknown>,
): Promise<ServerEvent> {
  const nonce = crypto.randomUUID();
  client.sendJson({ ...request, nonce });
  while (true) {
    const event = await client.nextEvent();
    if ("nonce" in event && event.nonce === nonce) return event;
  }
}

/**
 * Opens a JSON client signed in with a test token for `claims`, joined to `rooms`.
 *
 * @param url The server's `/ws` URL.
 * @param claims The token's claims, `sub` among them.
 * @param rooms Rooms to join.
 * @returns As {@linkcode connectJson}.
 */
export async function signedIn(
  url: string,
  claims: Parameters<typeof signTestToken>[0],
  rooms: string[] = [DEFAULT_ROOM],
): ReturnType<typeof connectJson> {
  return await connectJson(url, rooms, { token: await signTestToken(claims) });
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

/**
 * Sends a message as the UI does: again, with the same nonce, every 100 ms
 * while the server answers `unavailable` (its store is down).
 */
export async function sendUntilAcked(
  client: TestClient,
  text: string,
  nonce: string,
): Promise<Extract<ServerEvent, { type: "ack" }>> {
  while (true) {
    try {
      return await sendAndAck(client, DEFAULT_ROOM, text, nonce);
    } catch (error) {
      if (!String(error).includes("unavailable")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
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

/**
 * The texts of the next `count` chat messages a client receives, whatever
 * its protocol: plain-text frames as they are, `chat.v1` messages' `text`
 * (other events skipped).
 */
export async function nextTexts(
  client: TestClient,
  count: number,
): Promise<string[]> {
  if (client.socket.protocol === JSON_PROTOCOL) {
    return (await nextMessages(client, count)).map((message) => message.text);
  }
  const frames = [];
  while (frames.length < count) frames.push(await client.nextFrame());
  return frames;
}

/**
 * The texts of a page's entries (`-` for a deletion), or of a run of them.
 *
 * @param page A page of history or of the log, or its entries.
 * @returns Their texts, in order.
 */
export function texts(
  page: { messages: LogEntry[] } | { entries: LogEntry[] } | LogEntry[],
): string[] {
  const entries = Array.isArray(page)
    ? page
    : "messages" in page
    ? page.messages
    : page.entries;
  return entries.map((entry) => entry.type === "delete" ? "-" : entry.text);
}
