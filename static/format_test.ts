import assert from "node:assert/strict";
import * as ui from "./format.js";
import * as serverRooms from "../chat/rooms.ts";
import * as server from "../server/protocol.ts";

// The page checks names before it sends them, with its own copy of the
// server's rules (static/ is served as it is and cannot import the server's
// modules): both must give the same answer for every name.

/** What the server makes of `name`, or `null` when it refuses it. */
function serverAnswer(normalize: (name: unknown) => string, name: string) {
  try {
    return normalize(name);
  } catch (error) {
    if (error instanceof server.ProtocolError) return null;
    throw error;
  }
}

const ROOM_NAMES = [
  "general",
  "Dev-Team",
  "a_b",
  "1",
  "-",
  "x".repeat(64),
  "x".repeat(65),
  "",
  "no spaces",
  "dev.team",
  "dev/team",
  "émile",
  "ｄｅｖ",
  "dm:Ada:bo",
  "dm:bo:Ada",
  "dm:auth0%7Cada:bo",
  "dm:auth0|ada:bo",
  "dm:ada:ada",
  "dm:ada",
  `dm:${"x".repeat(129)}:bo`,
];

Deno.test("normalizeRoom() of the page and of the server agree on every room name", () => {
  for (const name of ROOM_NAMES) {
    assert.equal(
      ui.normalizeRoom(name),
      serverAnswer(server.normalizeRoom, name),
      JSON.stringify(name),
    );
  }
});

Deno.test("directRoom() of the page and of the server name a pair the same", () => {
  const ids = ["auth0|5f:1", "Zoë", "user_2NxY", "guest:0123456789abcdef"];
  for (const a of ids) {
    for (const b of ids) {
      if (a === b) continue;
      assert.equal(ui.directRoom(a, b), serverRooms.directRoom(a, b));
    }
  }
  assert.equal(ui.directRoom("ada", "ada"), null);
});

Deno.test("normalizeRoom() of the page also takes a leading # and spaces, which it removes", () => {
  assert.equal(ui.normalizeRoom("  #Dev-Team "), "dev-team");
  assert.equal(ui.normalizeRoom("dev\n"), "dev");
  assert.equal(ui.normalizeRoom("#"), null);
});

const DISPLAY_NAMES = [
  "Ada",
  "  Ada  ",
  "",
  "   ",
  "a".repeat(32),
  "a".repeat(33),
  "😀".repeat(32),
  "😀".repeat(33),
  "e\u0301".repeat(32),
  "Zoë",
  "👩\u200d💻",
  "a\u202eb",
  "a\u200bb",
  "a\u0000b",
  "a\tb",
  "a\nb",
  "\ue000",
  "\u0378",
  "\ud800",
  "guest-1234",
];

Deno.test("checkName() of the page and normalizeName() of the server agree on every display name", () => {
  assert.equal(ui.MAX_NAME_LENGTH, server.MAX_NAME_LENGTH);
  for (const name of DISPLAY_NAMES) {
    const checked = ui.checkName(name);
    assert.equal(
      "name" in checked ? checked.name : null,
      serverAnswer(server.normalizeName, name),
      JSON.stringify(name),
    );
  }
});
