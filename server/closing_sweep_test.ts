import assert from "node:assert/strict";
import { ClosingSweep, type Sweepable } from "./closing_sweep.ts";

/** A connection whose socket is closing: the sweep ends it, which removes it. */
function closingConnection(set: Set<Sweepable>): Sweepable {
  const connection = { endIfSocketClosed: () => void set.delete(connection) };
  return connection;
}

Deno.test("ClosingSweep.sweep() ends closing connections and stops when none is left", () => {
  const connections = new Set<Sweepable>();
  let looked = 0;
  const open: Sweepable = { endIfSocketClosed: () => void looked++ };
  connections.add(closingConnection(connections));
  connections.add(open);
  connections.add(closingConnection(connections));
  using sweep = new ClosingSweep(connections, { intervalMs: 60_000 });
  sweep.start();
  sweep.sweep();
  assert.deepEqual([...connections], [open]);
  assert.equal(looked, 1);
  assert.equal(sweep.running, true);
  connections.delete(open);
  sweep.sweep();
  assert.equal(sweep.running, false);
});

Deno.test("ClosingSweep runs on its timer", async () => {
  const connections = new Set<Sweepable>();
  const swept = Promise.withResolvers<void>();
  connections.add({
    endIfSocketClosed() {
      connections.clear();
      swept.resolve();
    },
  });
  using sweep = new ClosingSweep(connections, { intervalMs: 5 });
  sweep.start();
  await swept.promise;
  assert.equal(sweep.running, false);
});
