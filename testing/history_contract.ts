/**
 * The behaviour every {@linkcode History} must have, as tests that
 * `kv/history_test.ts` and `redis/history_test.ts` run against their store.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { History } from "../chat/history.ts";
import { texts } from "./client.ts";
import { contractTests } from "./contract.ts";

/** Settings a contract test needs from a fresh, empty history. */
export interface ContractOptions {
  maxMessages?: number;
  maxAgeMs?: number;
  maxEdits?: number;
  now?: () => number;
}

/** A message as older versions of the server stored it: no user id. */
export interface OldMessage {
  id: number;
  ts: number;
  user: string;
  text: string;
}

/** A fresh history, and a way to write to its store as older versions did. */
export interface ContractHistory extends History, AsyncDisposable {
  /** Writes `message` and the room's head as they were stored before epochs and user ids. */
  writeOld(room: string, message: OldMessage): Promise<void>;
  /** Every value the store holds, as text, to search for what it should no longer keep. */
  dump(): Promise<string>;
}

/** Opens a fresh, empty history; disposing it releases everything it used. */
export type OpenHistory = (
  options?: ContractOptions,
) => Promise<ContractHistory>;

/**
 * Drafts with the texts "1" to `count`.
 *
 * @param count How many.
 * @returns The drafts, by user `u`.
 */
export function numbered(
  count: number,
): { userId: string; user: string; text: string }[] {
  return Array.from({ length: count }, (_, i) => ({
    userId: "u",
    user: "u",
    text: String(i + 1),
  }));
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
  const test = contractTests(name, ignore);

  test("append() numbers a batch in order after the room's last id", async () => {
    await using history = await open();
    const first = await history.append("a", [{
      userId: "u",
      user: "u",
      text: "1",
    }]);
    const batch = await history.append("a", [
      { userId: "u", user: "u", text: "2" },
      { userId: "v", user: "v", text: "3" },
    ]);
    const other = await history.append("b", [{
      userId: "u",
      user: "u",
      text: "x",
    }]);
    assert.deepEqual(
      [...first, ...batch].map((stored) => stored.message.id),
      [1, 2, 3],
    );
    assert.equal(other[0]?.message.id, 1);
  });

  test("append() stores a (user, nonce) once and returns the original", async () => {
    await using history = await open();
    const [first] = await history.append("a", [
      { userId: "u", user: "u", text: "hi", nonce: "n" },
    ]);
    const [again, fresh, otherUser] = await history.append("a", [
      { userId: "u", user: "u", text: "hi", nonce: "n" },
      { userId: "u", user: "u", text: "new", nonce: "m" },
      { userId: "v", user: "v", text: "hi", nonce: "n" },
    ]);
    assert.equal(first?.duplicate, false);
    assert.equal(again?.duplicate, true);
    assert.equal(again?.message.id, first?.message.id);
    assert.equal(fresh?.duplicate, false);
    assert.equal(otherUser?.duplicate, false);
    assert.deepEqual(texts(await history.latest("a", 10)), ["hi", "new", "hi"]);
  });

  test("append() keeps apart two users who share a name and a nonce", async () => {
    await using history = await open();
    const [ada, other] = await history.append("a", [
      { userId: "u1", user: "Sam", text: "from u1", nonce: "1" },
      { userId: "u2", user: "Sam", text: "from u2", nonce: "1" },
    ]);
    const [again] = await history.append("a", [
      { userId: "u2", user: "Sam", text: "from u2", nonce: "1" },
    ]);
    assert.equal(ada?.duplicate, false);
    assert.equal(other?.duplicate, false);
    assert.equal(again?.duplicate, true);
    assert.equal(again?.message.id, other?.message.id);
    const page = await history.latest("a", 10);
    assert.deepEqual(
      page.messages.map(({ userId, user, text }) => ({ userId, user, text })),
      [
        { userId: "u1", user: "Sam", text: "from u1" },
        { userId: "u2", user: "Sam", text: "from u2" },
      ],
    );
  });

  test("append() keeps a guest's mark on its messages", async () => {
    await using history = await open();
    await history.append("a", [
      { userId: "guest:1", user: "g", text: "hi", guest: true },
      { userId: "u1", user: "Ada", text: "hello" },
    ]);
    const page = await history.latest("a", 10);
    assert.deepEqual(page.messages.map((message) => message.guest), [
      true,
      undefined,
    ]);
  });

  test("reads back messages stored before users had ids", async () => {
    await using history = await open();
    await history.writeOld("r", {
      id: 1,
      ts: Date.now(),
      user: "Bo",
      text: "old",
    });
    await history.append("r", [{ userId: "u1", user: "Ada", text: "new" }]);
    const page = await history.latest("r", 10);
    assert.deepEqual(
      page.messages.map(({ id, user, userId, text }) => ({
        id,
        user,
        userId,
        text,
      })),
      [
        { id: 1, user: "Bo", userId: undefined, text: "old" },
        { id: 2, user: "Ada", userId: "u1", text: "new" },
      ],
    );
  });

  test("append() de-duplicates within one batch", async () => {
    await using history = await open();
    const results = await history.append("a", [
      { userId: "u", user: "u", text: "hi", nonce: "n" },
      { userId: "u", user: "u", text: "hi", nonce: "n" },
    ]);
    assert.deepEqual(results.map((stored) => stored.duplicate), [false, true]);
    assert.equal(results[1]?.message.id, results[0]?.message.id);
  });

  test("keeps at most maxMessages per room", async () => {
    await using history = await open({ maxMessages: 3 });
    for (let i = 1; i <= 5; i++) {
      await history.append("a", [{ userId: "u", user: "u", text: String(i) }]);
    }
    assert.deepEqual(texts(await history.latest("a", 10)), ["3", "4", "5"]);
    const caughtUp = await history.resume("a", 1, 10);
    assert.equal(caughtUp.truncated, true);
    assert.deepEqual(texts(caughtUp), ["3", "4", "5"]);
    const inRange = await history.resume("a", 3, 10);
    assert.equal(inRange.truncated, false);
    assert.deepEqual(texts(inRange), ["4", "5"]);
  });

  test("hides messages older than maxAgeMs", async () => {
    let now = Date.now();
    await using history = await open({ maxAgeMs: 1000, now: () => now });
    await history.append("a", [{ userId: "u", user: "u", text: "old" }]);
    now += 600;
    await history.append("a", [{ userId: "u", user: "u", text: "new" }]);
    now += 600;
    assert.deepEqual(texts(await history.latest("a", 10)), ["new"]);
    const after = await history.resume("a", 0, 10);
    assert.deepEqual(texts(after), ["new"]);
    assert.equal(after.truncated, true);
    assert.deepEqual(texts(await history.after("a", 0, 10)), ["new"]);
  });

  test("before() pages backwards with hasMore", async () => {
    await using history = await open();
    await history.append("a", numbered(7));
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

  test("resume() says truncated when since is beyond the last id", async () => {
    await using history = await open();
    await history.append("a", [{ userId: "u", user: "u", text: "1" }]);
    assert.equal((await history.resume("a", 1, 10)).truncated, false);
    assert.equal((await history.resume("a", 7, 10)).truncated, true);
    assert.equal((await history.resume("empty", 0, 10)).truncated, false);
  });

  test("resume() sends the latest limit after since, and before() pages back to since", async () => {
    await using history = await open();
    await history.append("a", numbered(10));
    const resumed = await history.resume("a", 2, 3);
    assert.deepEqual(texts(resumed), ["8", "9", "10"]);
    assert.deepEqual([resumed.hasMore, resumed.truncated], [true, false]);
    // Paging back while hasMore, stopping at since: every message once.
    const seen = [...resumed.messages];
    let page = resumed;
    while (page.hasMore && seen[0]!.id > 3) {
      page = await history.before("a", seen[0]!.id, 3);
      seen.unshift(...page.messages.filter((message) => message.id > 2));
    }
    assert.deepEqual(seen.map((message) => message.id), [
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      10,
    ]);
    const complete = await history.resume("a", 7, 3);
    assert.deepEqual(texts(complete), ["8", "9", "10"]);
    assert.equal(complete.hasMore, false);
  });

  test("resume() below retention says hasMore only when before() has more", async () => {
    await using history = await open({ maxMessages: 3 });
    await history.append("a", numbered(5));
    const below = await history.resume("a", 1, 10);
    assert.deepEqual(texts(below), ["3", "4", "5"]);
    assert.deepEqual([below.hasMore, below.truncated], [false, true]);
    const older = await history.before("a", 3, 10);
    assert.deepEqual([older.messages.length, older.hasMore], [0, false]);
    const capped = await history.resume("a", 1, 2);
    assert.deepEqual(texts(capped), ["4", "5"]);
    assert.deepEqual([capped.hasMore, capped.truncated], [true, true]);
    const rest = await history.before("a", 4, 10);
    assert.deepEqual([texts(rest), rest.hasMore], [["3"], false]);
  });

  test("after() reads forward a page at a time, with the head", async () => {
    await using history = await open();
    await history.append("a", numbered(5));
    const first = await history.after("a", 1, 2);
    assert.deepEqual(
      [texts(first), first.through, first.head],
      [["2", "3"], 3, 5],
    );
    const last = await history.after("a", 3, 2);
    assert.deepEqual([texts(last), last.through], [["4", "5"], 5]);
    const none = await history.after("a", 5, 2);
    assert.deepEqual([texts(none), none.through, none.head], [[], 5, 5]);
  });

  test("reads and appends agree on the room's epoch, which is the room's own", async () => {
    await using history = await open();
    const { epoch } = await history.latest("a", 10);
    assert.match(epoch, /^\S{1,64}$/);
    const [stored] = await history.append("a", numbered(1));
    assert.equal(stored?.epoch, epoch);
    assert.equal((await history.resume("a", 0, 10)).epoch, epoch);
    assert.equal((await history.before("a", 2, 10)).epoch, epoch);
    assert.equal((await history.after("a", 0, 10)).epoch, epoch);
    assert.deepEqual(await history.position("a"), { epoch, head: 1 });
    assert.notEqual((await history.position("b")).epoch, epoch);
  });

  test("position() starts a new epoch when the head is behind what was seen of it", async () => {
    await using history = await open();
    await history.append("a", numbered(3));
    const { epoch } = await history.position("a");
    assert.deepEqual(await history.position("a", { epoch, head: 3 }), {
      epoch,
      head: 3,
    });
    const renewed = await history.position("a", { epoch, head: 7 });
    assert.notEqual(renewed.epoch, epoch);
    assert.equal(renewed.head, 3);
    // Only once: another instance that saw the same is told the new epoch.
    assert.deepEqual(await history.position("a", { epoch, head: 7 }), renewed);
    const [next] = await history.append("a", numbered(1));
    assert.deepEqual([next?.message.id, next?.epoch], [4, renewed.epoch]);
  });
}
