import assert from "node:assert/strict";
import { directRoom, normalizeRoom } from "./format.js";
import { hashFor, roomFromHash } from "./room_hash.js";

Deno.test("roomFromHash() reads the room a hash names, in its normal form", () => {
  assert.deepEqual(roomFromHash("#/general"), { name: "general" });
  assert.deepEqual(roomFromHash("#/Dev-Team"), {
    name: normalizeRoom("Dev-Team"),
  });
});

Deno.test("roomFromHash() returns null for a hash that names no room", () => {
  for (const hash of ["", "#", "#/", "#general"]) {
    assert.equal(roomFromHash(hash), null, hash);
  }
});

Deno.test("roomFromHash() says what a hash said when it is no room name", () => {
  assert.deepEqual(roomFromHash("#/no%20spaces"), { invalid: "no spaces" });
  // Not valid percent-encoding: kept as it was written.
  assert.deepEqual(roomFromHash("#/100%"), { invalid: "100%" });
});

Deno.test("hashFor() escapes a direct room's name so roomFromHash() reads it back", () => {
  const room = directRoom("user:1", "user%2");
  assert(room);
  assert.equal(hashFor("general"), "#/general");
  assert.deepEqual(roomFromHash(hashFor(room)), { name: room });
});
