/**
 * A TCP proxy in front of a test server that can fail the network on cue:
 * cut every connection without a close frame, refuse new ones, or swallow
 * what the server sends while the client keeps talking.
 *
 * @module
 */

interface Pair {
  client: Deno.TcpConn;
  server: Deno.TcpConn;
  closed: boolean;
}

/** Errors a pipe meets when its connection is cut under it. */
function isCutError(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe;
}

/** Listens on a free loopback port and forwards each connection to `target`. */
export class TcpProxy implements AsyncDisposable {
  /** The port clients connect to. */
  readonly port: number;
  #listener: Deno.TcpListener;
  #target: number;
  #pairs = new Set<Pair>();
  #tasks = new Set<Promise<void>>();
  #refusing = false;
  #holding = false;
  #failure: unknown;

  /**
   * Starts forwarding to `target`.
   *
   * @param target The server's port on 127.0.0.1.
   */
  constructor(target: number) {
    this.#target = target;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = this.#listener.addr.port;
    this.#track(this.#accept());
  }

  /** Connections open through the proxy now. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Closes every open connection at once, as a network failure would. */
  cut(): void {
    for (const pair of this.#pairs) this.#close(pair);
  }

  /** While on, new connections are closed as soon as they are accepted. */
  refuse(on: boolean): void {
    this.#refusing = on;
  }

  /** While on, what servers send is dropped: clients hear nothing. */
  hold(on: boolean): void {
    this.#holding = on;
  }

  /** Stops listening, cuts every connection and waits for the pipes to end. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    this.cut();
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
    if (this.#failure !== undefined) throw this.#failure;
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) {
        if (this.#refusing) {
          client.close();
          continue;
        }
        this.#track(this.#open(client));
      }
    } catch (error) {
      if (!isCutError(error)) throw error;
    }
  }

  async #open(client: Deno.TcpConn): Promise<void> {
    let server: Deno.TcpConn;
    try {
      server = await Deno.connect({
        hostname: "127.0.0.1",
        port: this.#target,
      });
    } catch (error) {
      client.close();
      if (error instanceof Deno.errors.ConnectionRefused) return;
      throw error;
    }
    const pair = { client, server, closed: false };
    this.#pairs.add(pair);
    await Promise.all([
      this.#pipe(pair, client, server, () => false),
      this.#pipe(pair, server, client, () => this.#holding),
    ]);
  }

  async #pipe(
    pair: Pair,
    from: Deno.TcpConn,
    to: Deno.TcpConn,
    dropping: () => boolean,
  ): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const read = await from.read(buffer);
        if (read === null) break;
        if (dropping()) continue;
        let written = 0;
        while (written < read) {
          written += await to.write(buffer.subarray(written, read));
        }
      }
    } catch (error) {
      if (!isCutError(error)) throw error;
    } finally {
      this.#close(pair);
    }
  }

  #close(pair: Pair): void {
    if (pair.closed) return;
    pair.closed = true;
    this.#pairs.delete(pair);
    pair.client.close();
    pair.server.close();
  }

  #track(task: Promise<void>): void {
    const tracked = task.catch((error) => {
      this.#failure ??= error;
    }).finally(() => this.#tasks.delete(tracked));
    this.#tasks.add(tracked);
  }
}
