import assert from "node:assert/strict";
import { withTimeout } from "../testing/async.ts";
import { presenceContract } from "../testing/presence_contract.ts";
import { KvPresence, type KvPresenceOptions } from "./presence.ts";
import { setLogLevel } from "../observability/log.ts";

/** Two isolates' presences over two handles on one fresh KV file. */
async function twoIsolates(options: KvPresenceOptions = {}) {
  const dir = await Deno.makeTempDir();
  const kvA = await Deno.openKv(`${dir}/chat.db`);
  const kvB = await Deno.openKv(`${dir}/chat.db`);
  const a = new KvPresence(kvA, options);
  const b = new KvPresence(kvB, options);
  let kvAOpen = true;
  return {
    a,
    b,
    kvB,
    /** Closes A's handle under it, as when its isolate dies. */
    killA() {
      // A's heartbeat and cleanup then fail, as they should: say nothing.
      setLogLevel("error");
      kvAOpen = false;
      kvA.close();
    },
    async [Symbol.asyncDispose]() {
      await a.close();
      await b.close();
      setLogLevel("info");
      if (kvAOpen) kvA.close();
      kvB.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

// Counts are read on every call so that the contract sees each change.
presenceContract(
  "KvPresence",
  (options) => twoIsolates({ ...options, countMaxAgeMs: 0 }),
  { shared: true },
);

/** Resolves once A's entry for (room, user), as B sees it, was written at `since` or later. */
async function refreshedSince(
  isolates: Awaited<ReturnType<typeof twoIsolates>>,
  room: string,
  user: string,
  since: number,
): Promise<void> {
  const key = ["presence", room, user, isolates.a.instanceId];
  const stream = isolates.kvB.watch<[{ ts: number }]>([key]);
  try {
    for await (const [entry] of stream) {
      if ((entry?.value?.ts ?? -Infinity) >= since) return;
    }
  } finally {
    await stream.cancel();
  }
}

Deno.test("KvPresence.members() with a limit skips dead entries and stops at the limit", async () => {
  const ttlMs = 60_000;
  let now = Date.now();
  await using isolates = await twoIsolates({ ttlMs, now: () => now });
  const { a, b } = isolates;
  await a.join("general", { id: "ada", name: "ada" });
  await a.join("general", { id: "bo", name: "bo" });
  isolates.killA();
  now += ttlMs;
  for (const name of ["bo", "cy", "dee"]) {
    await b.join("general", { id: name, name: name });
  }
  // "ada" has only a dead entry and "bo" a dead one before a live one.
  assert.deepEqual(await b.members("general", 2), [{ id: "bo", name: "bo" }, {
    id: "cy",
    name: "cy",
  }]);
});

Deno.test("KvPresence heartbeat keeps an instance's entries beyond the TTL", async () => {
  const ttlMs = 60_000;
  let now = Date.now();
  await using isolates = await twoIsolates({
    ttlMs,
    heartbeatIntervalMs: 10,
    now: () => now,
  });
  const { a, b } = isolates;
  await a.join("general", { id: "ada", name: "ada" });
  now += ttlMs - 1;
  await withTimeout(
    refreshedSince(isolates, "general", "ada", now),
    "a heartbeat",
  );
  now += 2;
  assert.deepEqual(await b.members("general"), [{ id: "ada", name: "ada" }]);
});

Deno.test("KvPresence.count() reuses a room's count for countMaxAgeMs", async () => {
  let now = Date.now();
  await using isolates = await twoIsolates({
    countMaxAgeMs: 1000,
    now: () => now,
  });
  const { a, b } = isolates;
  await a.join("general", { id: "ada", name: "ada" });
  const [first, second] = [b.count("general"), b.count("general")];
  assert.equal(first, second, "concurrent callers share one read");
  assert.equal(await first, 1);
  await a.join("general", { id: "bo", name: "bo" });
  now += 999;
  assert.equal(await b.count("general"), 1, "within the age: reused");
  assert.equal(await a.count("general"), 2, "another instance reads its own");
  now += 1;
  assert.equal(await b.count("general"), 2, "at the age: read again");
});

Deno.test("KvPresence.close() leaves no entry of its own and refuses joins", async () => {
  await using isolates = await twoIsolates();
  const { a, b, kvB } = isolates;
  await a.join("general", { id: "ada", name: "ada" });
  await b.join("general", { id: "bo", name: "bo" });
  await a.close();
  const left = [];
  for await (const entry of kvB.list({ prefix: ["presence"] })) {
    left.push(entry.key);
  }
  assert.deepEqual(left, [["presence", "general", "bo", b.instanceId]]);
  await assert.rejects(a.join("general", { id: "ada", name: "ada" }), /closed/);
});

Deno.test("KvPresence stops its heartbeat when its last local user leaves", async () => {
  // Sanitizers fail this test if the interval outlives the last leave.
  const kv = await Deno.openKv(":memory:");
  try {
    const presence = new KvPresence(kv, { ttlMs: 300 });
    await presence.join("general", { id: "ada", name: "ada" });
    await presence.leave("general", { id: "ada", name: "ada" });
    assert.deepEqual(await presence.members("general"), []);
  } finally {
    kv.close();
  }
});
