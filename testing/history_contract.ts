/**
 * The behaviour every {@linkcode History} must have, as tests that
 * `kv/history_test.ts` and `redis/history_test.ts` run against their store.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { History, HistoryPage } from "../chat/history.ts";

/** Settings a contract test needs from a fresh, empty history. */
export interface ContractOptions {
  maxMessages?: number;
  maxAgeMs?: number;
  now?: () => number;
}

/** Opens a fresh, empty history; disposing it releases everything it used. */
export type OpenHistory = (
  options?: ContractOptions,
) => Promise<History & AsyncDisposable>;

function texts(page: HistoryPage): string[] {
  return page.messages.map((message) => message.text);
}

/**
 * Registers the contract's tests for one implementation.
 *
 * @param name Class name, used in the test names.
 * @param open Opens a fresh history for each test.
 * @param ignore Skips the tests when the store cannot run here.
 */
export function historyContract(
  name: string,
  open: OpenHistory,
  ignore = false,
): void {
  function test(behaviour: string, fn: () => Promise<void>): void {
    Deno.test({ name: `${name} ${behaviour}`, ignore, fn });
  }

  test("append() numbers a batch in order after the room's last id", async () => {
    await using history = await open();
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

  test("append() stores a (user, nonce) once and returns the original", async () => {
    await using history = await open();
    const [first] = await history.append("a", [
      { user: "u", text: "hi", nonce: "n" },
    ]);
    const [again, fresh, otherUser] = await history.append("a", [
      { user: "u", text: "hi", nonce: "n" },
      { user: "u", text: "new", nonce: "m" },
      { user: "v", text: "hi", nonce: "n" },
    ]);
    assert.equal(first?.duplicate, false);
    assert.equal(again?.duplicate, true);
    assert.equal(again?.message.id, first?.message.id);
    assert.equal(fresh?.duplicate, false);
    assert.equal(otherUser?.duplicate, false);
    assert.deepEqual(texts(await history.latest("a", 10)), ["hi", "new", "hi"]);
  });

  test("append() de-duplicates within one batch", async () => {
    await using history = await open();
    const results = await history.append("a", [
      { user: "u", text: "hi", nonce: "n" },
      { user: "u", text: "hi", nonce: "n" },
    ]);
    assert.deepEqual(results.map((stored) => stored.duplicate), [false, true]);
    assert.equal(results[1]?.message.id, results[0]?.message.id);
  });

  test("keeps at most maxMessages per room", async () => {
    await using history = await open({ maxMessages: 3 });
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

  test("hides messages older than maxAgeMs", async () => {
    let now = Date.now();
    await using history = await open({ maxAgeMs: 1000, now: () => now });
    await history.append("a", [{ user: "u", text: "old" }]);
    now += 600;
    await history.append("a", [{ user: "u", text: "new" }]);
    now += 600;
    assert.deepEqual(texts(await history.latest("a", 10)), ["new"]);
    const after = await history.after("a", 0);
    assert.deepEqual(texts(after), ["new"]);
    assert.equal(after.truncated, true);
  });

  test("before() pages backwards with hasMore", async () => {
    await using history = await open();
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

  test("after() says truncated when since is beyond the last id", async () => {
    await using history = await open();
    await history.append("a", [{ user: "u", text: "1" }]);
    assert.equal((await history.after("a", 1)).truncated, false);
    assert.equal((await history.after("a", 7)).truncated, true);
    assert.equal((await history.after("empty", 0)).truncated, false);
  });
}
