/**
 * The behaviour every {@linkcode History} must have for edits and deletions,
 * as tests that `kv/history_test.ts` and `redis/history_test.ts` run against
 * their store.
 *
 * @module
 */
import assert from "node:assert/strict";
import { AmendmentRefusedError } from "../chat/amendments.ts";
import { texts } from "./client.ts";
import { numbered, type OpenHistory } from "./history_contract.ts";
import { contractTests } from "./contract.ts";

const ada = { userId: "ada", user: "Ada" };
const mod = { userId: "mod", user: "Mo" };

/**
 * Registers the contract's tests for one implementation.
 *
 * @param name Class name, used in the test names.
 * @param open Opens a fresh history for each test.
 * @param ignore Skips the tests when the store cannot run here.
 */
export function amendmentContract(
  name: string,
  open: OpenHistory,
  ignore = false,
): void {
  const test = contractTests(name, ignore);

  test("amend() stores an edit as the room's next entry and rewrites its message", async () => {
    let now = 1_000;
    await using history = await open({ now: () => now });
    await history.append("a", numbered(2));
    now = 2_000;
    const edited = await history.amend("a", {
      type: "edit",
      target: 1,
      text: "one",
      ...ada,
    });
    assert.deepEqual(edited.entry, {
      type: "edit",
      id: 3,
      room: "a",
      ts: 2_000,
      user: "Ada",
      userId: "ada",
      target: 1,
      text: "one",
    });
    assert.equal(edited.duplicate, false);
    const [next] = await history.append("a", numbered(1));
    assert.equal(next?.message.id, 4);
    const latest = await history.latest("a", 10);
    assert.deepEqual(
      latest.messages.map(({ id, text, edited }) => ({ id, text, edited })),
      [
        { id: 1, text: "one", edited: 2_000 },
        { id: 2, text: "2", edited: undefined },
        { id: 4, text: "1", edited: undefined },
      ],
    );
    assert.equal((await history.message("a", 1))?.text, "one");
    assert.equal(await history.message("a", 3), undefined);
  });

  test("amend() turns a deleted message into a tombstone and keeps none of its texts", async () => {
    await using history = await open();
    await history.append("a", [{ ...ada, text: "first draft of a secret" }]);
    await history.amend("a", {
      type: "edit",
      target: 1,
      text: "second draft of a secret",
      ...ada,
    });
    const deleted = await history.amend("a", {
      type: "delete",
      target: 1,
      ...mod,
    });
    assert.deepEqual(deleted.entry, {
      type: "delete",
      id: 3,
      room: "a",
      ts: deleted.entry.ts,
      user: "Mo",
      userId: "mod",
      target: 1,
    });
    const [tombstone] = (await history.latest("a", 10)).messages;
    assert.deepEqual(
      { id: tombstone?.id, text: tombstone?.text, deleted: tombstone?.deleted },
      { id: 1, text: "", deleted: true },
    );
    assert.equal(tombstone?.userId, "ada");
    // The edit stays an entry of the log, its text gone with the message's.
    assert.deepEqual(texts(await history.resume("a", 0, 10)), ["", "", "-"]);
    assert.doesNotMatch(await history.dump(), /secret/);
  });

  test("resume() and after() return every kind of entry in id order; latest() and before() messages only", async () => {
    await using history = await open();
    await history.append("a", numbered(3));
    await history.amend("a", { type: "edit", target: 2, text: "two", ...ada });
    await history.append("a", numbered(1));
    await history.amend("a", { type: "delete", target: 3, ...ada });
    const resumed = await history.resume("a", 1, 10);
    assert.deepEqual(resumed.messages.map((entry) => [entry.id, entry.type]), [
      [2, "message"],
      [3, "message"],
      [4, "edit"],
      [5, "message"],
      [6, "delete"],
    ]);
    assert.deepEqual(texts(resumed), ["two", "", "two", "1", "-"]);
    assert.deepEqual(resumed.messages[2], {
      type: "edit",
      id: 4,
      room: "a",
      ts: resumed.messages[2]!.ts,
      user: "Ada",
      userId: "ada",
      target: 2,
      text: "two",
    });
    assert.equal(resumed.truncated, false);
    const latest = await history.latest("a", 2);
    assert.deepEqual(latest.messages.map((m) => m.id), [3, 5]);
    assert.equal(latest.hasMore, true);
    assert.deepEqual(
      (await history.before("a", 5, 10)).messages.map((m) => m.id),
      [1, 2, 3],
    );
    const log = await history.after("a", 3, 2);
    assert.deepEqual([log.entries.map((e) => e.id), log.through, log.head], [
      [4, 5],
      5,
      6,
    ]);
    const rest = await history.after("a", 5, 10);
    assert.deepEqual([rest.entries.map((e) => e.type), rest.through], [[
      "delete",
    ], 6]);
  });

  test("resume() pages back through every kind of entry with before", async () => {
    await using history = await open();
    await history.append("a", numbered(2));
    for (const text of ["x", "y", "z"]) {
      await history.amend("a", { type: "edit", target: 1, text, ...ada });
    }
    await history.append("a", numbered(1));
    const page = await history.resume("a", 1, 2);
    assert.deepEqual(page.messages.map((e) => e.id), [5, 6]);
    assert.equal(page.hasMore, true);
    const older = await history.resume("a", 1, 2, 5);
    assert.deepEqual(older.messages.map((e) => e.id), [3, 4]);
    assert.equal(older.hasMore, true);
    const oldest = await history.resume("a", 1, 2, 3);
    assert.deepEqual([oldest.messages.map((e) => e.id), oldest.hasMore], [
      [2],
      false,
    ]);
  });

  test("amend() refuses a message that is not kept, deleted, or edited the most times", async () => {
    await using history = await open({ maxEdits: 2 });
    await history.append("a", numbered(2));
    await history.amend("a", { type: "delete", target: 2, ...ada });
    const refusal = (target: number, type: "edit" | "delete" = "edit") =>
      history.amend("a", { type, target, text: "new", ...ada }).then(
        () => "stored",
        (error) =>
          error instanceof AmendmentRefusedError ? error.reason : error,
      );
    assert.equal(await refusal(9), "not_found");
    assert.equal(await refusal(2), "deleted");
    assert.equal(await refusal(2, "delete"), "deleted");
    assert.equal(await refusal(1), "stored");
    assert.equal(await refusal(1), "stored");
    assert.equal(await refusal(1), "too_many_edits");
    assert.equal(await refusal(1, "delete"), "stored");
    // Nothing refused took an id.
    assert.equal((await history.position("a")).head, 6);
  });

  test("amend() stores a (user, nonce) once and returns the original entry", async () => {
    await using history = await open();
    await history.append("a", numbered(1));
    const edit = {
      type: "edit" as const,
      target: 1,
      text: "v2",
      nonce: "n1",
      ...ada,
    };
    const first = await history.amend("a", edit);
    const again = await history.amend("a", { ...edit, text: "v3" });
    assert.deepEqual([again.duplicate, again.entry], [true, first.entry]);
    const removal = { type: "delete" as const, target: 1, nonce: "n2", ...ada };
    const deleted = await history.amend("a", removal);
    const repeat = await history.amend("a", removal);
    assert.deepEqual([repeat.duplicate, repeat.entry.id], [
      true,
      deleted.entry.id,
    ]);
    assert.equal((await history.position("a")).head, 3);
  });

  test("amend() applies an edit and a deletion that race in one order, never both ways", async () => {
    await using history = await open();
    await history.append("a", [{ ...ada, text: "racing text" }]);
    const outcomes = await Promise.allSettled([
      history.amend("a", {
        type: "edit",
        target: 1,
        text: "edited racing text",
        ...ada,
      }),
      history.amend("a", { type: "delete", target: 1, ...mod }),
    ]);
    const [edit, removal] = outcomes;
    assert.equal(removal?.status, "fulfilled");
    if (edit?.status === "rejected") {
      assert.equal((edit.reason as AmendmentRefusedError).reason, "deleted");
    }
    assert.equal((await history.message("a", 1))?.deleted, true);
    assert.doesNotMatch(await history.dump(), /racing/);
  });

  test("keeps at most maxMessages entries of every kind", async () => {
    await using history = await open({ maxMessages: 3 });
    await history.append("a", numbered(2));
    await history.amend("a", { type: "edit", target: 1, text: "x", ...ada });
    await history.amend("a", { type: "edit", target: 2, text: "y", ...ada });
    await history.append("a", numbered(1));
    const resumed = await history.resume("a", 0, 10);
    assert.deepEqual(resumed.messages.map((e) => e.id), [3, 4, 5]);
    assert.equal(resumed.truncated, true);
    assert.equal(
      await history.amend("a", { type: "edit", target: 2, text: "z", ...ada })
        .catch((error) => (error as AmendmentRefusedError).reason),
      "not_found",
    );
  });
}
