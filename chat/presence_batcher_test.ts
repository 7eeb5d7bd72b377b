import assert from "node:assert/strict";
import { PresenceBatcher } from "./presence_batcher.ts";

Deno.test("PresenceBatcher.flush() publishes each changed room once", async () => {
  const published: string[] = [];
  using batcher = new PresenceBatcher((room) => {
    published.push(room);
    return Promise.resolve();
  }, { intervalMs: 60_000 });
  batcher.add("a");
  batcher.add("b");
  batcher.add("a");
  assert.equal(batcher.has("a"), true);
  await batcher.flush();
  assert.deepEqual(published, ["a", "b"]);
  assert.equal(batcher.has("a"), false);
  await batcher.flush();
  assert.deepEqual(published, ["a", "b"]);
});

Deno.test("PresenceBatcher publishes on its timer", async () => {
  const published = Promise.withResolvers<string>();
  using batcher = new PresenceBatcher((room) => {
    published.resolve(room);
    return Promise.resolve();
  }, { intervalMs: 5 });
  batcher.add("a");
  assert.equal(await published.promise, "a");
  assert.equal(batcher.has("a"), false);
});
