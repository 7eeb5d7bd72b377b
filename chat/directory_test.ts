import assert from "node:assert/strict";
import { KvHistory } from "../kv/history.ts";
import { listRooms, RoomDirectory } from "./directory.ts";
import { MemoryPresence } from "./presence.ts";

const ada = { id: "ada", name: "Ada" };
const bo = { id: "bo", name: "Bo" };
const cy = { id: "cy", name: "Cy" };

Deno.test("listRooms() sorts rooms by member count, most first, then by name", async () => {
  await using presence = new MemoryPresence();
  await using history = new KvHistory(Deno.openKv(":memory:"));
  for (
    const [room, members] of [["zeta", [ada]], ["busy", [ada, bo, cy]], [
      "beta",
      [bo],
    ], ["alpha", [ada, cy]]] as const
  ) {
    for (const member of members) await presence.join(room, member);
  }
  const rooms = await listRooms({ presence, history }, { limit: 10 });
  assert.deepEqual(
    rooms.map((room) => [room.name, room.memberCount]),
    [["busy", 3], ["alpha", 2], ["beta", 1], ["zeta", 1]],
  );
});

Deno.test("listRooms() gives the time of the room's latest kept entry, an edit's too, and null when it keeps none", async () => {
  let now = 1_000_000;
  await using presence = new MemoryPresence();
  await using history = new KvHistory(Deno.openKv(":memory:"), {
    maxAgeMs: 60_000,
    now: () => now,
  });
  for (const room of ["edited", "quiet", "expired"]) {
    await presence.join(room, ada);
  }
  await history.append("expired", [{
    userId: "ada",
    user: "Ada",
    text: "old",
  }]);
  now += 60_001;
  const [stored] = await history.append("edited", [
    { userId: "ada", user: "Ada", text: "hi" },
  ]);
  now += 5000;
  await history.amend("edited", {
    type: "edit",
    target: stored!.message.id,
    text: "hello",
    userId: "ada",
    user: "Ada",
  });
  now += 5000;
  const rooms = await listRooms({ presence, history }, { limit: 10 });
  assert.deepEqual(
    Object.fromEntries(rooms.map((room) => [room.name, room.lastActivity])),
    { edited: now - 5000, quiet: null, expired: null },
  );
});

Deno.test("RoomDirectory.list() lists public rooms only, up to its limit", async () => {
  await using presence = new MemoryPresence();
  await using history = new KvHistory(Deno.openKv(":memory:"));
  for (const room of ["private-team", "dm:ada:bo", "one", "two", "three"]) {
    await presence.join(room, ada);
  }
  await presence.join("two", bo);
  const directory = new RoomDirectory({ presence, history }, { limit: 2 });
  const rooms = await directory.list();
  assert.equal(rooms.length, 2);
  assert.deepEqual(rooms[0], {
    name: "two",
    memberCount: 2,
    lastActivity: null,
  });
  assert(["one", "three"].includes(rooms[1]!.name));
});

Deno.test("RoomDirectory.list() shares the listing under way, and reads again once it is done", async () => {
  await using presence = new MemoryPresence();
  await using history = new KvHistory(Deno.openKv(":memory:"));
  await presence.join("general", ada);
  let listings = 0;
  const counted = {
    rooms(limit: number, accept?: (room: string) => boolean) {
      listings++;
      return presence.rooms(limit, accept);
    },
    count: (room: string) => presence.count(room),
  };
  const directory = new RoomDirectory({ presence: counted, history });
  const [first, second] = await Promise.all([
    directory.list(),
    directory.list(),
  ]);
  assert.equal(listings, 1);
  assert.equal(first, second);
  await presence.join("dev", bo);
  assert.deepEqual((await directory.list()).map((room) => room.name), [
    "dev",
    "general",
  ]);
  assert.equal(listings, 2);
});

Deno.test("RoomDirectory.list() does not keep a failed listing", async () => {
  await using presence = new MemoryPresence();
  await using history = new KvHistory(Deno.openKv(":memory:"));
  await presence.join("general", ada);
  let failing = true;
  const flaky = {
    rooms(limit: number, accept?: (room: string) => boolean) {
      if (failing) return Promise.reject(new Error("Store down"));
      return presence.rooms(limit, accept);
    },
    count: (room: string) => presence.count(room),
  };
  const directory = new RoomDirectory({ presence: flaky, history });
  await assert.rejects(directory.list(), /Store down/);
  failing = false;
  assert.equal((await directory.list()).length, 1);
});
