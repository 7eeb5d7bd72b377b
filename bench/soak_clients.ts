/**
 * The counting `chat.v1` load client of the soak runs: it counts what it
 * sends and receives and measures delivery latency. Re-exports the soak
 * runs' other clients: peers that stop reading (from the start, or once they
 * have joined), and readers of the server's metrics and file descriptors.
 *
 * @module
 */
import { JSON_PROTOCOL } from "../server/protocol.ts";
import { TcpWebSocket } from "./tcp_websocket.ts";
import type { LoadStats } from "./_soak_stats.ts";

export { LoadStats, percentile } from "./_soak_stats.ts";
export { openFrozenPeer, openStalledPeer } from "./_stalled_peers.ts";
export { openFds, scrapeMetrics } from "./_server_probes.ts";

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
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
