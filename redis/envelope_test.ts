import assert from "node:assert/strict";
import { broadcastOf, presenceBroadcast } from "../chat/events.ts";
import { decodeEnvelope, encodeEnvelope } from "./envelope.ts";

const message = {
  type: "message" as const,
  id: 3,
  room: "general",
  ts: 1,
  user: "ada",
  text: "hi",
};

Deno.test("decodeEnvelope() reads back what encodeEnvelope() wrote", () => {
  const presence = presenceBroadcast(
    {
      type: "presence",
      room: "general",
      joined: [{ id: "ada", name: "ada" }],
      left: [],
    },
    "conn-1",
  );
  for (const broadcast of [broadcastOf(message), presence]) {
    const received = decodeEnvelope(
      encodeEnvelope("general", "a", broadcast),
      10_000,
    );
    assert.ok("broadcasts" in received);
    assert.equal(received.broadcasts.length, 1);
    assert.deepEqual(
      [received.room, received.from, received.broadcasts[0]!.json],
      ["general", "a", broadcast.json],
    );
    assert.equal(received.broadcasts[0]!.origin, broadcast.origin);
  }
});

Deno.test("decodeEnvelope() refuses each kind of bad envelope with its reason", async (t) => {
  const good = JSON.parse(
    encodeEnvelope("general", "a", broadcastOf(message)),
  );
  const cases: [string, unknown, string][] = [
    ["too long", { ...good, plain: "x".repeat(20_000) }, "size"],
    ["a room name with spaces", { ...good, room: "General Room" }, "room"],
    ["a room not folded", { ...good, room: "General" }, "room"],
    ["no sender", { ...good, from: "" }, "shape"],
    ["an event that is not JSON", { ...good, json: "{" }, "json"],
    ["an id beyond safe integers", { ...good, id: 1e308 }, "id"],
    ["an event of another room", {
      ...good,
      json: JSON.stringify({ ...message, room: "dev" }),
    }, "room"],
    ["a message without a text", {
      ...good,
      json: JSON.stringify({ ...message, text: 7 }),
    }, "shape"],
    ["a presence event with an id", {
      ...good,
      json: JSON.stringify({
        type: "presence",
        room: "general",
        joined: [],
        left: [],
      }),
    }, "id"],
  ];
  for (const [name, envelope, reason] of cases) {
    await t.step(name, () => {
      assert.equal(
        (decodeEnvelope(JSON.stringify(envelope), 10_000) as {
          reason?: string;
        }).reason,
        reason,
      );
    });
  }
  await t.step("not JSON at all", () => {
    assert.deepEqual(decodeEnvelope("nope", 10_000), { reason: "json" });
  });
});

Deno.test("decodeEnvelope() sends only the event's known fields on", () => {
  const json = JSON.stringify({ ...message, extra: "<script>" });
  const raw = JSON.stringify({
    room: "general",
    from: "a",
    json,
    plain: "hi",
    id: 3,
  });
  const received = decodeEnvelope(raw, 10_000);
  assert.ok("broadcasts" in received);
  assert.deepEqual(JSON.parse(received.broadcasts[0]!.json), message);
});

/** An envelope of stored entries, as the history's scripts write it. */
function entriesEnvelope(entries: unknown, extra = {}): string {
  return JSON.stringify({
    room: "general",
    from: "a",
    epoch: "e1",
    entries,
    ...extra,
  });
}

const entryOf = (id: number) => ({
  json: JSON.stringify({ ...message, id, text: `m${id}` }),
  plain: `m${id}`,
  id,
});

Deno.test("decodeEnvelope() reads a stored batch's entries in order, with their epoch", () => {
  const received = decodeEnvelope(
    entriesEnvelope([entryOf(3), entryOf(4), entryOf(5)]),
    10_000,
  );
  assert.ok("broadcasts" in received);
  assert.deepEqual(received.broadcasts.map((b) => [b.id, b.plain, b.epoch]), [
    [3, "m3", "e1"],
    [4, "m4", "e1"],
    [5, "m5", "e1"],
  ]);
});

Deno.test("decodeEnvelope() refuses a whole batch for one bad entry", async (t) => {
  const presence = {
    json: JSON.stringify({
      type: "presence",
      room: "general",
      joined: [],
      left: [],
    }),
    plain: null,
    id: null,
  };
  const cases: [string, string, string][] = [
    ["no entries", entriesEnvelope([]), "shape"],
    [
      "entries that are not a list",
      entriesEnvelope({ 0: entryOf(3) }),
      "shape",
    ],
    [
      "an entry that is not an object",
      entriesEnvelope([entryOf(3), 4]),
      "shape",
    ],
    [
      "an entry whose id is not its event's",
      entriesEnvelope([entryOf(3), {
        ...entryOf(4),
        id: 5,
      }]),
      "id",
    ],
    [
      "a presence event among entries",
      entriesEnvelope([entryOf(3), presence]),
      "id",
    ],
    [
      "an event beside the entries",
      entriesEnvelope([entryOf(3)], {
        json: entryOf(4).json,
      }),
      "shape",
    ],
    [
      "an entry of another room",
      entriesEnvelope([{
        ...entryOf(3),
        json: JSON.stringify({ ...message, room: "dev" }),
      }]),
      "room",
    ],
  ];
  for (const [name, raw, reason] of cases) {
    await t.step(name, () => {
      assert.equal(
        (decodeEnvelope(raw, 10_000) as { reason?: string }).reason,
        reason,
      );
    });
  }
});
