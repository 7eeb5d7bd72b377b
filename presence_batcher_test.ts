import assert from "node:assert/strict";
import { PresenceBatcher } from "./presence_batcher.ts";

type Published = { room: string; joined: string[]; left: string[] };

function recorder(): [Published[], PresenceBatcher] {
  const published: Published[] = [];
  const batcher = new PresenceBatcher((room, joined, left) => {
    published.push({ room, joined, left });
    return Promise.resolve();
  }, { intervalMs: 5 });
  return [published, batcher];
}

Deno.test("PresenceBatcher.flush() publishes each room's net change once", async () => {
  const [published, batcher] = recorder();
  using _ = batcher;
  batcher.add("a", ["Bo", "Ada"], []);
  batcher.add("a", [], ["Bo", "Cy"]);
  batcher.add("b", ["Dee"], []);
  batcher.add("b", [], ["Dee"]);
  assert.equal(batcher.has("a"), true);
  await batcher.flush();
  // Bo came and went unseen; Dee too, so room b has nothing to announce.
  assert.deepEqual(published, [{ room: "a", joined: ["Ada"], left: ["Cy"] }]);
  assert.equal(batcher.has("a"), false);
});

Deno.test("PresenceBatcher publishes on its timer", async () => {
  const published = Promise.withResolvers<Published>();
  using batcher = new PresenceBatcher((room, joined, left) => {
    published.resolve({ room, joined, left });
    return Promise.resolve();
  }, { intervalMs: 5 });
  batcher.add("a", ["Ada"], []);
  assert.deepEqual(await published.promise, {
    room: "a",
    joined: ["Ada"],
    left: [],
  });
});
