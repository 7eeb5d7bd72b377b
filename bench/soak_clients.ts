/**
 * Load-generating clients for the soak runs: a `chat.v1` client that counts
 * what it sends and receives and measures delivery latency, peers that stop
 * reading (from the start, or once they have joined), and readers of the
 * server's metrics and file descriptors.
 *
 * @module
 */
import { encodeFrame, Opcode, upgradeTcp } from "../testing/wire.ts";
import { JSON_PROTOCOL } from "../server/protocol.ts";
import { TcpWebSocket } from "./tcp_websocket.ts";

/** Counts shared by every {@linkcode LoadClient} of one run. */
export class LoadStats {
  /** `send` requests written. */
  sent = 0;
  /** `ack`s received. */
  acked = 0;
  /** `ack`s that said `duplicate`: the server took a fresh nonce for a repeat. */
  duplicates = 0;
  /** Chat messages received, over every client. */
  received = 0;
  /** Messages that arrived out of sequence from their sender (lost or duplicated). */
  outOfSequence = 0;
  /** `error` frames by code. */
  errors = new Map<string, number>();
  /** Closes the clients did not ask for, by code. */
  unexpectedCloses = new Map<number, number>();
  /** Names announced as arriving in `presence` events, over every client. */
  arrivals = 0;
  /** Delivery latencies in milliseconds of messages sent since {@linkcode measuredFrom}. */
  latencies: number[] = [];
  /** `performance.now()` from which sends are measured; `Infinity` for none. */
  measuredFrom = 0;
}

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * The p-th percentile (0 to 100) of `values`.
 *
 * @param values Samples, in any order.
 * @param p Percentile.
 * @returns The sample at that rank, or `NaN` for no samples.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const index = Math.min(
    sorted.length - 1,
    Math.ceil((p / 100) * sorted.length) - 1,
  );
  return sorted[Math.max(0, index)]!;
}

/**
 * A `chat.v1` client in one room. Message texts are
 * `sender|seq|sentAt|padding`, so receivers can check each sender's
 * sequence and the latency from send to delivery.
 */
export class LoadClient {
  readonly id: string;
  readonly room: string;
  #socket!: TcpWebSocket;
  #stats: LoadStats;
  #seq = 0;
  #acked = 0;
  #ackWaiter: { count: number; resolve: () => void } | null = null;
  #lastSeen = new Map<string, number>();
  #closing = false;
  #closed = Promise.withResolvers<void>();

  private constructor(id: string, room: string, stats: LoadStats) {
    this.id = id;
    this.room = room;
    this.#stats = stats;
  }

  /**
   * Connects, joins `room` and waits for `joined`.
   *
   * @param wsUrl The server's `/ws` URL.
   * @param id Unique client name, used in message texts.
   * @param room The room to join.
   * @param stats Where counts go.
   */
  static async open(
    wsUrl: string,
    id: string,
    room: string,
    stats: LoadStats,
  ): Promise<LoadClient> {
    const joined = Promise.withResolvers<LoadClient>();
    const client = new LoadClient(id, room, stats);
    const onText = (text: string) => {
      const data = JSON.parse(text);
      for (const item of Array.isArray(data) ? data : [data]) {
        switch (item.type) {
          case "joined":
            joined.resolve(client);
            break;
          case "message":
            client.#onMessage(item.text);
            break;
          case "presence":
            stats.arrivals += item.joined.length;
            break;
          case "ack":
            stats.acked++;
            if (item.duplicate === true) stats.duplicates++;
            client.#onAck();
            break;
          case "error":
            bump(stats.errors, String(item.code));
            break;
        }
      }
    };
    let socket: TcpWebSocket;
    try {
      socket = client.#socket = await TcpWebSocket.connect(wsUrl, {
        protocol: JSON_PROTOCOL,
        onText,
      });
    } catch (error) {
      throw new Error(`Cannot connect ${id}`, { cause: error });
    }
    socket.closed.then((code) => {
      if (!client.#closing) bump(stats.unexpectedCloses, code);
      joined.reject(new Error(`Closed before joining: ${code}`));
      client.#ackWaiter?.resolve();
      client.#closed.resolve();
    });
    socket.send(JSON.stringify({ type: "join", room }));
    return await joined.promise;
  }

  /** Sends one message of about `size` bytes to the client's room. */
  send(size = 64): void {
    if (!this.#socket.open) return;
    const seq = ++this.#seq;
    const head = `${this.id}|${seq}|${performance.now()}|`;
    const text = head + "x".repeat(Math.max(0, size - head.length));
    // The server de-duplicates by room, display name and nonce, and guests
    // may share a name: a counter would collide, a random nonce does not.
    const nonce = crypto.randomUUID();
    this.#socket.send(
      JSON.stringify({ type: "send", room: this.room, text, nonce }),
    );
    this.#stats.sent++;
  }

  /**
   * Resolves once this client has `count` acks in total.
   *
   * @param count Acks to wait for.
   */
  acked(count: number): Promise<void> {
    if (this.#acked >= count) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#ackWaiter = { count, resolve };
    return promise;
  }

  /** Messages this client has sent. */
  get sentCount(): number {
    return this.#seq;
  }

  /** Closes the socket and waits for the close to complete. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#socket.close();
    await this.#closed.promise;
  }

  #onAck(): void {
    this.#acked++;
    if (this.#ackWaiter && this.#acked >= this.#ackWaiter.count) {
      this.#ackWaiter.resolve();
      this.#ackWaiter = null;
    }
  }

  #onMessage(text: string): void {
    const stats = this.#stats;
    stats.received++;
    const [sender, seqText, sentAt] = text.split("|", 3);
    if (sender === undefined || seqText === undefined) return;
    const seq = Number(seqText);
    if (seq !== (this.#lastSeen.get(sender) ?? 0) + 1) stats.outOfSequence++;
    this.#lastSeen.set(sender, seq);
    if (Number(sentAt) >= stats.measuredFrom) {
      stats.latencies.push(performance.now() - Number(sentAt));
    }
  }
}

/**
 * Opens a `chat.v1` connection on raw TCP, joins `rooms` and then never
 * reads again: a consumer that stopped keeping up.
 *
 * @param port The server's port.
 * @param rooms Rooms to join.
 * @returns The connection; closing it with unread data resets it.
 */
export async function openStalledPeer(
  port: number,
  rooms: readonly string[],
): Promise<Deno.TcpConn> {
  const { conn } = await upgradeTcp(`ws://127.0.0.1:${port}/ws`, {
    protocol: JSON_PROTOCOL,
  });
  for (const room of rooms) {
    await conn.write(encodeFrame(
      Opcode.text,
      new TextEncoder().encode(JSON.stringify({ type: "join", room })),
    ));
  }
  return conn;
}

/**
 * Opens a `chat.v1` connection, joins `rooms`, reads every `joined` reply
 * (members and history) and then stops reading: a client that kept up until
 * it froze, like a suspended browser tab.
 *
 * @param wsUrl The server's `/ws` URL.
 * @param rooms Rooms to join.
 * @returns The connection; disposing of it with unread data resets it.
 */
export async function openFrozenPeer(
  wsUrl: string,
  rooms: readonly string[],
): Promise<TcpWebSocket> {
  let joined = 0;
  let nextJoined = Promise.withResolvers<void>();
  const socket = await TcpWebSocket.connect(wsUrl, {
    protocol: JSON_PROTOCOL,
    onText(text) {
      const data = JSON.parse(text);
      for (const item of Array.isArray(data) ? data : [data]) {
        if (item.type !== "joined") continue;
        // Stop before the read loop asks for more.
        if (++joined === rooms.length) socket.stopReading();
        nextJoined.resolve();
      }
    },
  });
  const closed = socket.closed.then((code) => {
    throw new Error(`Closed before joining: ${code}`);
  });
  closed.catch(() => {});
  // One join at a time, as a client that waits for each reply.
  for (const room of rooms) {
    nextJoined = Promise.withResolvers<void>();
    socket.send(JSON.stringify({ type: "join", room }));
    await Promise.race([nextJoined.promise, closed]);
  }
  return socket;
}

/**
 * Reads `/metrics` into `name{labels}` → value.
 *
 * @param origin The server's origin.
 * @returns Every sample of the scrape.
 */
export async function scrapeMetrics(
  origin: string,
): Promise<Map<string, number>> {
  const res = await fetch(`${origin}/metrics`);
  const text = await res.text();
  if (!res.ok) throw new Error(`Cannot scrape metrics: HTTP ${res.status}`);
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/**
 * Counts the open file descriptors of process `pid` by listing
 * `/proc/PID/fd` with `ls` (Deno lets only `--allow-all` read `/proc`).
 *
 * @param pid A process id.
 * @returns The number of open descriptors.
 */
export async function openFds(pid: number): Promise<number> {
  const output = await new Deno.Command("ls", {
    args: [`/proc/${pid}/fd`],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!output.success) throw new Error(`Cannot list /proc/${pid}/fd`);
  return new TextDecoder().decode(output.stdout).split("\n")
    .filter(Boolean).length;
}
