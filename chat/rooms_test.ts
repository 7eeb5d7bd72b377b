import assert from "node:assert/strict";
import { directRoom, directRoomUsers, isRoomName } from "./rooms.ts";

Deno.test("directRoom() names a pair the same in either order, whatever the ids hold", () => {
  const ids = ["auth0|5f:1", "Zoë", "user_2NxY"];
  for (const a of ids) {
    for (const b of ids) {
      if (a === b) continue;
      const room = directRoom(a, b);
      assert.equal(room, directRoom(b, a));
      assert.deepEqual(directRoomUsers(room)?.toSorted(), [a, b].toSorted());
    }
  }
  assert.throws(() => directRoom("ada", "ada"), RangeError);
});

Deno.test("directRoomUsers() refuses names that are not a canonical pair", () => {
  for (
    const room of [
      "general",
      "dm:bo:ada",
      "dm:ada",
      "dm:ada:ada",
      "dm:ada:bo:cy",
      "dm::bo",
      "dm:%E0%A4%A:bo",
      "dm:a%7cb:c",
      `dm:${"x".repeat(129)}:bo`,
    ]
  ) {
    assert.equal(directRoomUsers(room), null, room);
  }
  assert.deepEqual(directRoomUsers("dm:ada:bo"), ["ada", "bo"]);
});

Deno.test("isRoomName() takes folded public names and canonical direct rooms only", () => {
  for (
    const room of ["general", "private-team", "a_b-c", directRoom("Ada", "bo")]
  ) {
    assert(isRoomName(room), room);
  }
  for (const room of ["General", "", "x".repeat(65), "dm:bo:Ada", 42, null]) {
    assert(!isRoomName(room), String(room));
  }
});
