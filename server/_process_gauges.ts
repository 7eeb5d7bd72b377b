/**
 * The process's gauges for `GET /metrics`: resident memory, the V8 heap,
 * memory held outside it, and open file descriptors, each read from Deno
 * only when scraped.
 *
 * @module
 */
import { Gauge, type Registry } from "../observability/metrics.ts";

/**
 * Counts this process's open file descriptors. Deno lets only `--allow-all`
 * read `/proc/self`, so under narrower permissions there is no answer.
 */
function openFileDescriptors(): number | undefined {
  try {
    let count = 0;
    for (const _ of Deno.readDirSync("/proc/self/fd")) count++;
    // The directory handle that read the listing is one of them.
    return count - 1;
  } catch (error) {
    if (
      error instanceof Deno.errors.NotCapable ||
      error instanceof Deno.errors.PermissionDenied ||
      error instanceof Deno.errors.NotFound
    ) return undefined;
    throw error;
  }
}

/**
 * Adds the process's gauges to `registry`, after the metrics it holds.
 *
 * @param registry Where the server's metrics are kept.
 * @throws {TypeError} When a metric of one of their names exists already.
 *
 * @example Scraping the process's memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { Registry } from "../observability/metrics.ts";
 * import { addProcessGauges } from "./_process_gauges.ts";
 *
 * const registry = new Registry();
 * addProcessGauges(registry);
 * assert.match(registry.render(), /^process_resident_memory_bytes \d+$/m);
 * ```
 */
export function addProcessGauges(registry: Registry): void {
  registry.add(
    new Gauge("process_resident_memory_bytes", "Resident set size", () => [[
      {},
      Deno.memoryUsage().rss,
    ]]),
  );
  registry.add(
    new Gauge("deno_heap_used_bytes", "V8 heap in use", () => [[
      {},
      Deno.memoryUsage().heapUsed,
    ]]),
  );
  registry.add(
    new Gauge("deno_heap_total_bytes", "V8 heap reserved", () => [[
      {},
      Deno.memoryUsage().heapTotal,
    ]]),
  );
  registry.add(
    new Gauge(
      "deno_external_memory_bytes",
      "Memory held outside the V8 heap (buffers)",
      () => [[{}, Deno.memoryUsage().external]],
    ),
  );
  registry.add(
    new Gauge(
      "process_open_fds",
      "Open file descriptors (only under --allow-all, which may read /proc/self)",
      () => {
        const count = openFileDescriptors();
        return count === undefined ? [] : [[{}, count]];
      },
    ),
  );
}
