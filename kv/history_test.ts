import assert from "node:assert/strict";
import { amendmentContract } from "../testing/amendment_contract.ts";
import {
  historyContract,
  type OldMessage,
  type OpenHistory,
} from "../testing/history_contract.ts";
import { KvHistory } from "./history.ts";

const openKvHistory: OpenHistory = async (options) => {
  const kv = await Deno.openKv(":memory:");
  return Object.assign(new KvHistory(kv, options), {
    async writeOld(room: string, { id, ...value }: OldMessage) {
      await kv.set(["msg", room, id], value);
      await kv.set(["head", room], id);
    },
    async dump() {
      const values = await Array.fromAsync(kv.list({ prefix: [] }));
      return JSON.stringify(values.map((entry) => entry.value));
    },
  });
};

historyContract("KvHistory", openKvHistory);
amendmentContract("KvHistory", openKvHistory);

Deno.test("KvHistory gives unique ids to two writers sharing one database", async () => {
  const path = await Deno.makeTempFile({ suffix: ".db" });
  try {
    await using a = new KvHistory(Deno.openKv(path));
    await using b = new KvHistory(Deno.openKv(path));
    const writes = [];
    for (let i = 0; i < 20; i++) {
      writes.push(a.append("r", [{ userId: "a", user: "a", text: `a${i}` }]));
      writes.push(b.append("r", [{ userId: "b", user: "b", text: `b${i}` }]));
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

Deno.test("KvHistory stores a request sent to two writers at once only once", async () => {
  const path = await Deno.makeTempFile({ suffix: ".db" });
  try {
    await using a = new KvHistory(Deno.openKv(path));
    await using b = new KvHistory(Deno.openKv(path));
    // Numbered before both writers race, so each commit needs the nonce check.
    await a.append("r", [{ userId: "u", user: "u", text: "first" }]);
    await b.append("r", [{ userId: "u", user: "u", text: "second" }]);
    const draft = { userId: "u", user: "u", text: "again", nonce: "n1" };
    const [[fromA], [fromB]] = await Promise.all([
      a.append("r", [draft]),
      b.append("r", [draft]),
    ]);
    assert.equal(fromA!.message.id, fromB!.message.id);
    assert.deepEqual(
      [fromA!.duplicate, fromB!.duplicate].sort(),
      [false, true],
    );
    const texts = (await a.latest("r", 10)).messages.map((m) => m.text);
    assert.deepEqual(texts, ["first", "second", "again"]);
  } finally {
    await Deno.remove(path);
    for (const suffix of ["-wal", "-shm"]) {
      await Deno.remove(path + suffix).catch(() => {});
    }
  }
});

Deno.test("KvHistory answers repeated nonces past what one commit can check", async () => {
  await using history = new KvHistory(Deno.openKv(":memory:"));
  const drafts = Array.from({ length: 100 }, (_, i) => ({
    userId: "u",
    user: "u",
    text: `m${i}`,
    nonce: `n${i}`,
  }));
  const first = await history.append("r", drafts);
  const again = await history.append("r", drafts);
  assert.ok(again.every((stored) => stored.duplicate));
  assert.deepEqual(
    again.map((stored) => stored.message.id),
    first.map((stored) => stored.message.id),
  );
  assert.equal((await history.latest("r", 200)).messages.length, 100);
});
