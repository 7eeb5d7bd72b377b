import assert from "node:assert/strict";
import { KvHistory } from "./kv_history.ts";

function texts(page: { messages: { text: string }[] }): string[] {
  return page.messages.map((message) => message.text);
}

Deno.test("KvHistory.append() numbers a batch in order after the room's last id", async () => {
  await using history = new KvHistory(Deno.openKv(":memory:"));
  const first = await history.append("a", [{ user: "u", text: "1" }]);
  const batch = await history.append("a", [
    { user: "u", text: "2" },
    { user: "v", text: "3" },
  ]);
  const other = await history.append("b", [{ user: "u", text: "x" }]);
  assert.deepEqual(
    [...first, ...batch].map((stored) => stored.message.id),
    [1, 2, 3],
  );
  assert.equal(other[0]?.message.id, 1);
});

Deno.test("KvHistory.append() stores a (user, nonce) once and returns the original", async () => {
  await using history = new KvHistory(Deno.openKv(":memory:"));
  const [first] = await history.append("a", [{
    user: "u",
    text: "hi",
    nonce: "n",
  }]);
  const [again, twice, otherUser] = await history.append("a", [
    { user: "u", text: "hi", nonce: "n" },
    { user: "u", text: "new", nonce: "m" },
    { user: "v", text: "hi", nonce: "n" },
  ]);
  assert.equal(first?.duplicate, false);
  assert.equal(again?.duplicate, true);
  assert.equal(again?.message.id, first?.message.id);
  assert.equal(twice?.duplicate, false);
  assert.equal(otherUser?.duplicate, false);
  assert.deepEqual(texts(await history.latest("a", 10)), ["hi", "new", "hi"]);
});

Deno.test("KvHistory.append() de-duplicates within one batch", async () => {
  await using history = new KvHistory(Deno.openKv(":memory:"));
  const results = await history.append("a", [
    { user: "u", text: "hi", nonce: "n" },
    { user: "u", text: "hi", nonce: "n" },
  ]);
  assert.deepEqual(results.map((stored) => stored.duplicate), [false, true]);
  assert.equal(results[1]?.message.id, results[0]?.message.id);
});

Deno.test("KvHistory keeps at most maxMessages per room", async () => {
  await using history = new KvHistory(Deno.openKv(":memory:"), {
    maxMessages: 3,
  });
  for (let i = 1; i <= 5; i++) {
    await history.append("a", [{ user: "u", text: String(i) }]);
  }
  assert.deepEqual(texts(await history.latest("a", 10)), ["3", "4", "5"]);
  const caughtUp = await history.after("a", 1);
  assert.equal(caughtUp.truncated, true);
  assert.deepEqual(texts(caughtUp), ["3", "4", "5"]);
  const inRange = await history.after("a", 3);
  assert.equal(inRange.truncated, false);
  assert.deepEqual(texts(inRange), ["4", "5"]);
});

Deno.test("KvHistory hides messages older than maxAgeMs", async () => {
  let now = 1_000_000;
  await using history = new KvHistory(Deno.openKv(":memory:"), {
    maxAgeMs: 1000,
    now: () => now,
  });
  await history.append("a", [{ user: "u", text: "old" }]);
  now += 600;
  await history.append("a", [{ user: "u", text: "new" }]);
  now += 600;
  assert.deepEqual(texts(await history.latest("a", 10)), ["new"]);
  const after = await history.after("a", 0);
  assert.deepEqual(texts(after), ["new"]);
  assert.equal(after.truncated, true);
});

Deno.test("KvHistory.before() pages backwards with hasMore", async () => {
  await using history = new KvHistory(Deno.openKv(":memory:"));
  await history.append(
    "a",
    Array.from({ length: 7 }, (_, i) => ({ user: "u", text: String(i + 1) })),
  );
  const page = await history.before("a", 6, 3);
  assert.deepEqual(texts(page), ["3", "4", "5"]);
  assert.equal(page.hasMore, true);
  const last = await history.before("a", 3, 3);
  assert.deepEqual(texts(last), ["1", "2"]);
  assert.equal(last.hasMore, false);
  const latest = await history.latest("a", 2);
  assert.deepEqual(texts(latest), ["6", "7"]);
  assert.equal(latest.hasMore, true);
});

Deno.test("KvHistory gives unique ids to two writers sharing one database", async () => {
  const path = await Deno.makeTempFile({ suffix: ".db" });
  try {
    await using a = new KvHistory(Deno.openKv(path));
    await using b = new KvHistory(Deno.openKv(path));
    const writes = [];
    for (let i = 0; i < 20; i++) {
      writes.push(a.append("r", [{ user: "a", text: `a${i}` }]));
      writes.push(b.append("r", [{ user: "b", text: `b${i}` }]));
    }
    const ids = (await Promise.all(writes)).map((stored) =>
      stored[0]!.message.id
    );
    assert.equal(new Set(ids).size, 40);
    assert.deepEqual(
      [...ids].sort((x, y) => x - y),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    assert.equal((await a.latest("r", 100)).messages.length, 40);
  } finally {
    await Deno.remove(path);
    for (const suffix of ["-wal", "-shm"]) {
      await Deno.remove(path + suffix).catch(() => {});
    }
  }
});

Deno.test("KvHistory.after() says truncated when since is beyond the last id", async () => {
  await using history = new KvHistory(Deno.openKv(":memory:"));
  await history.append("a", [{ user: "u", text: "1" }]);
  assert.equal((await history.after("a", 1)).truncated, false);
  assert.equal((await history.after("a", 7)).truncated, true);
  assert.equal((await history.after("empty", 0)).truncated, false);
});
