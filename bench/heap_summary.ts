/**
 * What the JavaScript heap holds per connection: takes a heap snapshot of a
 * running server through its inspector (`deno run --inspect=HOST:PORT`)
 * after a forced collection, or compares two snapshots, so
 * `docs/performance.md` can give a per-connection budget.
 *
 * Usage:
 * - `deno run --allow-net --allow-write bench/heap_summary.ts take 127.0.0.1:9229 FILE`
 * - `deno run --allow-read bench/heap_summary.ts diff BEFORE AFTER CONNECTIONS [TOP]`
 *
 * @module
 */

interface HeapSnapshot {
  snapshot: {
    meta: { "node_fields": string[]; "node_types": [string[], ...unknown[]] };
  };
  nodes: number[];
  strings: string[];
}

function isHeapSnapshot(value: unknown): value is HeapSnapshot {
  const snapshot = value as Partial<HeapSnapshot> | null;
  return typeof snapshot === "object" && snapshot !== null &&
    Array.isArray(snapshot.nodes) && Array.isArray(snapshot.strings) &&
    Array.isArray(snapshot.snapshot?.meta?.node_fields);
}

/**
 * Adds up the self size and count of a snapshot's objects by type and name
 * (the constructor for objects, the function for closures).
 *
 * @param snapshot A parsed `.heapsnapshot`.
 * @returns `"type name"` → bytes and objects.
 */
export function sizesByName(
  snapshot: HeapSnapshot,
): Map<string, { bytes: number; count: number }> {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const totals = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt]!] ?? "?";
    // Strings and numbers are named by their value: group them by type.
    const name = type === "object" || type === "closure" || type === "native"
      ? snapshot.strings[snapshot.nodes[i + nameAt]!]
      : "";
    const key = `${type} ${name}`;
    const total = totals.get(key) ?? { bytes: 0, count: 0 };
    total.bytes += snapshot.nodes[i + sizeAt]!;
    total.count++;
    totals.set(key, total);
  }
  return totals;
}

/** Takes a snapshot through the inspector at `address` after a collection, into `path`. */
async function take(address: string, path: string): Promise<void> {
  const targets = await (await fetch(`http://${address}/json`)).json();
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve) => socket.onopen = resolve);
  const file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  const encoder = new TextEncoder();
  let id = 0;
  const pending = new Map<number, () => void>();
  socket.onmessage = async (event) => {
    const message = JSON.parse(event.data);
    if (message.method === "HeapProfiler.addHeapSnapshotChunk") {
      await file.write(encoder.encode(message.params.chunk));
    } else if (message.id !== undefined) {
      pending.get(message.id)?.();
    }
  };
  const call = (method: string) =>
    new Promise<void>((resolve) => {
      pending.set(++id, resolve);
      socket.send(JSON.stringify({ id, method }));
    });
  await call("HeapProfiler.enable");
  await call("HeapProfiler.collectGarbage");
  await call("HeapProfiler.takeHeapSnapshot");
  socket.close();
  file.close();
}

async function read(path: string): Promise<HeapSnapshot> {
  const data: unknown = JSON.parse(await Deno.readTextFile(path));
  if (!isHeapSnapshot(data)) {
    throw new TypeError(`Not a heap snapshot: "${path}"`);
  }
  return data;
}

if (import.meta.main) {
  const [command, ...args] = Deno.args;
  // deno-lint-ignore no-console
  const say = console.log;
  if (command === "take") {
    const [address, path] = args;
    if (address === undefined || path === undefined) {
      throw new TypeError("Missing inspector address or snapshot path");
    }
    await take(address, path);
  } else if (command === "diff") {
    const [before, after, connections, top = "30"] = args;
    if (before === undefined || after === undefined || !connections) {
      throw new TypeError("Missing snapshots or connection count");
    }
    const [old, now] = [
      sizesByName(await read(before)),
      sizesByName(await read(after)),
    ];
    const per = Number(connections);
    const rows = [...now].map(([name, { bytes, count }]) => {
      const was = old.get(name) ?? { bytes: 0, count: 0 };
      return [
        name,
        (bytes - was.bytes) / per,
        (count - was.count) / per,
      ] as const;
    }).toSorted((a, b) => b[1] - a[1]);
    const total = rows.reduce((sum, [, bytes]) => sum + bytes, 0);
    say(`${total.toFixed(0).padStart(6)} B  per connection in all`);
    for (const [name, bytes, count] of rows.slice(0, Number(top))) {
      say(
        `${bytes.toFixed(0).padStart(6)} B  ${
          count.toFixed(2).padStart(6)
        }×  ${name}`,
      );
    }
  } else {
    throw new TypeError(`Unknown command "${command}": use take or diff`);
  }
}
