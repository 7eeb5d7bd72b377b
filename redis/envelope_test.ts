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
    assert.ok("broadcast" in received);
    assert.deepEqual(
      [received.room, received.from, received.broadcast.json],
      ["general", "a", broadcast.json],
    );
    assert.equal(received.broadcast.origin, broadcast.origin);
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
  assert.ok("broadcast" in received);
  assert.deepEqual(JSON.parse(received.broadcast.json), message);
});
