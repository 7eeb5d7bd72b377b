import assert from "node:assert/strict";
import { moderationContract } from "../testing/moderation_contract.ts";
import { KvModeration } from "./moderation.ts";

moderationContract("KvModeration", async (now) => {
  const kv = await Deno.openKv(":memory:");
  return Object.assign(new KvModeration(kv, { now }), {
    [Symbol.asyncDispose]: () => Promise.resolve(kv.close()),
  });
});

Deno.test("KvModeration keeps bans and the record across a reopened database file", async () => {
  const path = await Deno.makeTempFile({ suffix: ".db" });
  try {
    const by = { id: "mod", name: "Mo" };
    {
      using kv = await Deno.openKv(path);
      await new KvModeration(kv).ban({
        userId: "bo",
        room: "general",
        until: null,
        by,
      });
    }
    using kv = await Deno.openKv(path);
    const store = new KvModeration(kv);
    assert.equal((await store.banOf("bo", "general"))?.by.name, "Mo");
    const { records } = await store.records({ limit: 10 });
    assert.deepEqual(records.map((record) => record.action), ["ban"]);
  } finally {
    for (const suffix of ["", "-wal", "-shm"]) {
      await Deno.remove(path + suffix).catch(() => {});
    }
  }
});
