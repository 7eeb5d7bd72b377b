import assert from "node:assert/strict";
import { TEST_TIMEOUT_MS, withTimeout } from "../testing/async.ts";
import { KvPresence, type KvPresenceOptions } from "./presence.ts";
import { setLogLevel } from "../observability/log.ts";

/** Two isolates' presences over two handles on one fresh KV file. */
async function twoIsolates(
  options: KvPresenceOptions = {},
) {
  const dir = await Deno.makeTempDir();
  const kvA = await Deno.openKv(`${dir}/chat.db`);
  const kvB = await Deno.openKv(`${dir}/chat.db`);
  const a = new KvPresence(kvA, options);
  const b = new KvPresence(kvB, options);
  let kvAOpen = true;
  return {
    a,
    b,
    kvA,
    kvB,
    /** Closes A's handle under it, as when its isolate dies. */
    killA() {
      kvAOpen = false;
      kvA.close();
    },
    async [Symbol.asyncDispose]() {
      await a.close();
      await b.close();
      if (kvAOpen) kvA.close();
      kvB.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Polls `members(room)` until `check` holds; fails after the test timeout. */
async function membersUntil(
  presence: KvPresence,
  room: string,
  check: (members: string[]) => boolean,
): Promise<string[]> {
  const deadline = Date.now() + TEST_TIMEOUT_MS;
  while (true) {
    const members = await presence.members(room);
    if (check(members)) return members;
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for members, last: ${members}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

Deno.test("KvPresence.members() merges instances and lists a user on both once", async () => {
  await using isolates = await twoIsolates();
  const { a, b } = isolates;
  await a.join("general", "ada");
  await a.join("general", "cy");
  await b.join("general", "ada");
  await b.join("general", "bo");
  await b.join("other", "dee");
  assert.deepEqual(await a.members("general"), ["ada", "bo", "cy"]);
  assert.deepEqual(await b.members("general"), ["ada", "bo", "cy"]);
  assert.deepEqual(await b.members("general", 2), ["ada", "bo"]);
  assert.equal(await b.count("general"), 3);
  assert.deepEqual(await a.members("other"), ["dee"]);
  assert.deepEqual(await a.members("empty"), []);
});

Deno.test("KvPresence.members() with a limit skips dead entries and stops at the limit", async () => {
  const ttlMs = 300;
  await using isolates = await twoIsolates({ ttlMs });
  const { a, b } = isolates;
  await a.join("general", "ada");
  await a.join("general", "bo");
  await b.join("general", "bo");
  await b.join("general", "cy");
  await b.join("general", "dee");
  setLogLevel("error"); // A's heartbeat and cleanup fail on purpose below.
  try {
    isolates.killA();
    await membersUntil(b, "general", (m) => !m.includes("ada"));
    // "ada" has only a dead entry and "bo" a dead one before a live one.
    assert.deepEqual(await b.members("general", 2), ["bo", "cy"]);
    assert.deepEqual(await b.members("general", 0), []);
    await a.close();
  } finally {
    setLogLevel("info");
  }
});

Deno.test("KvPresence.count() reuses a room's count for countMaxAgeMs", async () => {
  let now = Date.now();
  await using isolates = await twoIsolates({
    countMaxAgeMs: 1000,
    now: () => now,
  });
  const { a, b } = isolates;
  await a.join("general", "ada");
  const [first, second] = [b.count("general"), b.count("general")];
  assert.equal(first, second, "concurrent callers share one read");
  assert.equal(await first, 1);
  await a.join("general", "bo");
  now += 999;
  assert.equal(await b.count("general"), 1, "within the age: reused");
  assert.equal(await a.count("general"), 2, "another instance reads its own");
  now += 1;
  assert.equal(await b.count("general"), 2, "at the age: read again");
});

Deno.test("KvPresence.count() with countMaxAgeMs 0 reads on every call", async () => {
  await using isolates = await twoIsolates({ countMaxAgeMs: 0 });
  const { a, b } = isolates;
  await a.join("general", "ada");
  assert.equal(await b.count("general"), 1);
  await a.join("general", "bo");
  assert.equal(await b.count("general"), 2);
});

Deno.test("KvPresence.join() and leave() report the first arrival and the last departure across instances", async () => {
  await using isolates = await twoIsolates();
  const { a, b } = isolates;
  assert.equal(await a.join("general", "ada"), true);
  assert.equal(
    await a.join("general", "ada"),
    false,
    "second tab, same instance",
  );
  assert.equal(await b.join("general", "ada"), false, "already on A");
  assert.equal(await a.leave("general", "ada"), false, "A keeps one tab");
  assert.equal(await a.leave("general", "ada"), false, "B still has ada");
  assert.deepEqual(await a.members("general"), ["ada"]);
  assert.equal(await b.leave("general", "ada"), true);
  assert.equal(await b.leave("general", "ada"), false, "not present any more");
  assert.deepEqual(await a.members("general"), []);
});

Deno.test("KvPresence.join() racing on two instances announces the user once", async () => {
  await using isolates = await twoIsolates();
  const { a, b } = isolates;
  for (let round = 0; round < 5; round++) {
    const user = `user${round}`;
    const joined = await Promise.all([
      a.join("general", user),
      b.join("general", user),
    ]);
    assert.equal(joined.filter(Boolean).length, 1, `joins of ${user}`);
    const left = await Promise.all([
      a.leave("general", user),
      b.leave("general", user),
    ]);
    assert.equal(left.filter(Boolean).length, 1, `leaves of ${user}`);
  }
});

Deno.test("KvPresence heartbeat keeps an instance's entries beyond the TTL", async () => {
  const ttlMs = 300;
  await using isolates = await twoIsolates({ ttlMs });
  const { a, b, kvB } = isolates;
  const started = Date.now();
  await a.join("general", "ada");
  // Wait for three heartbeats to rewrite A's entry: that spans the TTL.
  const stream = kvB.watch([["presence", "general", "ada", a.instanceId]]);
  const versions = new Set<string | null>();
  await withTimeout(
    (async () => {
      for await (const [entry] of stream) {
        versions.add(entry!.versionstamp);
        if (versions.size > 3) return;
      }
    })(),
    "three heartbeats",
  );
  await stream.cancel();
  assert(Date.now() - started >= ttlMs, "heartbeats came too fast");
  assert.deepEqual(await b.members("general"), ["ada"]);
});

Deno.test("KvPresence.members() drops an instance whose heartbeat stopped after the TTL", async () => {
  const ttlMs = 300;
  await using isolates = await twoIsolates({ ttlMs });
  const { a, b } = isolates;
  await a.join("general", "ada");
  await b.join("general", "bo");
  setLogLevel("error"); // A's heartbeat and cleanup fail on purpose below.
  try {
    isolates.killA();
    const died = Date.now();
    assert.deepEqual(await b.members("general"), ["ada", "bo"]);
    assert.deepEqual(
      await membersUntil(b, "general", (m) => !m.includes("ada")),
      ["bo"],
    );
    assert(Date.now() - died >= ttlMs / 2, "ada dropped before the TTL");
    assert.equal(await b.join("general", "ada"), true, "ada is new again");
    await a.close();
  } finally {
    setLogLevel("info");
  }
});

Deno.test("KvPresence.close() removes the instance's entries and stops its heartbeat", async () => {
  await using isolates = await twoIsolates();
  const { a, b, kvB } = isolates;
  await a.join("general", "ada");
  await a.join("other", "ada");
  await b.join("general", "bo");
  await a.close();
  await a.close();
  assert.deepEqual(await b.members("general"), ["bo"]);
  assert.deepEqual(await b.members("other"), []);
  const left = [];
  for await (const entry of kvB.list({ prefix: ["presence"] })) {
    left.push(entry.key);
  }
  assert.deepEqual(left, [["presence", "general", "bo", b.instanceId]]);
  await assert.rejects(a.join("general", "ada"), /closed/);
});

Deno.test("KvPresence stops its heartbeat when its last local user leaves", async () => {
  // Sanitizers fail this test if the interval outlives the last leave.
  const kv = await Deno.openKv(":memory:");
  try {
    const presence = new KvPresence(kv, { ttlMs: 300 });
    await presence.join("general", "ada");
    await presence.leave("general", "ada");
    assert.deepEqual(await presence.members("general"), []);
  } finally {
    kv.close();
  }
});
