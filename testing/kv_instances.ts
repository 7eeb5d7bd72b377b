/**
 * Several chat servers in this process that share one Deno KV file, as
 * Deno Deploy's isolates share the platform's KV: each opens the `kv`
 * backend of its own, so they meet only through the store.
 *
 * @module
 */
import { type Backend, openBackend } from "../server/backend.ts";
import type { Config } from "../server/config.ts";
import { defaultConfig } from "../server/settings.ts";
import { startServer, type TestServer } from "./server.ts";

/** Servers sharing one KV file; dispose them to stop them and remove the file. */
export interface KvInstances extends AsyncDisposable {
  servers: TestServer[];
  /** Each server's `/ws` URL. */
  wsUrls: string[];
}

/**
 * Starts `count` servers on one new KV file, each with its own `kv` backend.
 *
 * @param count How many.
 * @param config Settings for each.
 * @returns The running servers.
 */
export async function startKvInstances(
  count: number,
  config: Partial<Config> = {},
): Promise<KvInstances> {
  const dir = await Deno.makeTempDir();
  const backends: Backend[] = [];
  const servers: TestServer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const backend = await openBackend({
        ...defaultConfig(),
        ...config,
        broker: "kv",
        kvPath: `${dir}/chat.db`,
      });
      backends.push(backend);
      const { kind: _, [Symbol.asyncDispose]: __, ...parts } = backend;
      servers.push(startServer({ logLevel: "error", ...config }, parts));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  async function stop(): Promise<void> {
    for (const server of servers) await server[Symbol.asyncDispose]();
    for (const backend of backends) await backend[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
  return {
    servers,
    wsUrls: servers.map((server) => server.wsUrl),
    [Symbol.asyncDispose]: stop,
  };
}
