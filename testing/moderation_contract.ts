/**
 * The behaviour every {@linkcode ModerationStore} must have, as tests that
 * `chat/moderation_test.ts`, `kv/moderation_test.ts` and
 * `redis/moderation_test.ts` run against their store.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { ModerationStore } from "../chat/moderation.ts";
import { contractTests } from "./contract.ts";

/** Opens a fresh, empty store on the clock given; disposing it releases everything it used. */
export type OpenModeration = (
  now: () => number,
) => Promise<ModerationStore>;

const mo = { id: "mod", name: "Mo" };

/**
 * Registers the contract's tests for one implementation.
 *
 * @param name Class name, used in the test names.
 * @param open Opens a fresh store for each test.
 * @param ignore Skips the tests when the store cannot run here.
 */
export function moderationContract(
  name: string,
  open: OpenModeration,
  ignore = false,
): void {
  const test = contractTests(name, ignore);

  test("ban() keeps a user out of one room, or every room when server-wide", async () => {
    await using store = await open(Date.now);
    const { ban, record } = await store.ban({
      userId: "bo",
      room: "general",
      until: null,
      reason: "spam",
      by: mo,
    });
    assert.equal((await store.banOf("bo", "general"))?.reason, "spam");
    assert.equal(await store.banOf("bo", "dev"), undefined);
    assert.equal(await store.banOf("cy", "general"), undefined);
    assert.deepEqual(
      [record.action, record.userId, record.room, record.until, record.at],
      ["ban", "bo", "general", null, ban.at],
    );
    await store.ban({ userId: "cy", room: null, until: null, by: mo });
    assert.equal((await store.banOf("cy", "dev"))?.room, null);
    assert.deepEqual(
      (await store.bans(null, 10)).map((ban) => ban.userId),
      ["cy"],
    );
    assert.deepEqual(
      (await store.bans("general", 10)).map((ban) => ban.userId),
      ["bo"],
    );
  });

  test("banOf() and bans() drop a ban once its time is up", async () => {
    let now = Date.now();
    await using store = await open(() => now);
    await store.ban({
      userId: "bo",
      room: "general",
      until: now + 60_000,
      by: mo,
    });
    now += 59_999;
    assert.notEqual(await store.banOf("bo", "general"), undefined);
    now += 1;
    assert.equal(await store.banOf("bo", "general"), undefined);
    assert.deepEqual(await store.bans("general", 10), []);
  });

  test("ban() replaces the user's ban of the same scope", async () => {
    await using store = await open(Date.now);
    await store.ban({ userId: "bo", room: "general", until: null, by: mo });
    const until = Date.now() + 60_000;
    await store.ban({ userId: "bo", room: "general", until, by: mo });
    const bans = await store.bans("general", 10);
    assert.deepEqual(bans.map((ban) => ban.until), [until]);
  });

  test("unban() lifts a ban and records it; without one it records nothing", async () => {
    await using store = await open(Date.now);
    await store.ban({ userId: "bo", room: "general", until: null, by: mo });
    const record = await store.unban("bo", "general", mo);
    assert.deepEqual(
      [record?.action, record?.userId, record?.room],
      ["unban", "bo", "general"],
    );
    assert.equal(await store.banOf("bo", "general"), undefined);
    assert.equal(await store.unban("bo", "general", mo), undefined);
    const { records } = await store.records({ limit: 10 });
    assert.deepEqual(records.map((r) => r.action), ["unban", "ban"]);
  });

  test("records() pages newest first and filters by room and user", async () => {
    await using store = await open(Date.now);
    for (const [userId, room] of [["bo", "a"], ["cy", "a"], ["bo", "b"]]) {
      await store.record({ action: "kick", by: mo, userId: userId!, room });
    }
    await store.record({ action: "disconnect", by: mo, userId: "bo" });
    await store.record({
      action: "delete",
      by: mo,
      userId: "cy",
      room: "a",
      messageId: 7,
    });
    const first = await store.records({ limit: 2 });
    assert.deepEqual(first.records.map((r) => r.action), [
      "delete",
      "disconnect",
    ]);
    assert.equal(first.records[0]?.messageId, 7);
    const second = await store.records({ limit: 10, before: first.next });
    assert.deepEqual(
      second.records.map((r) => [r.userId, r.room]),
      [["bo", "b"], ["cy", "a"], ["bo", "a"]],
    );
    assert.equal(second.next, undefined);
    const ofBo = await store.records({ limit: 10, userId: "bo" });
    assert.deepEqual(ofBo.records.map((r) => r.room), [undefined, "b", "a"]);
    const inA = await store.records({ limit: 1, room: "a" });
    assert.deepEqual(inA.records.map((r) => r.messageId), [7]);
    const restOfA = await store.records({
      limit: 5,
      room: "a",
      before: inA.next,
    });
    assert.deepEqual(restOfA.records.map((r) => r.userId), ["cy", "bo"]);
  });
}
