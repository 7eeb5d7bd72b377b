import assert from "node:assert/strict";
import { directRoom } from "../chat/rooms.ts";
import { mayAccess, type RoomUser } from "./access.ts";

const ada: RoomUser = { id: "auth0|ada", guest: false, rooms: [] };
const bo: RoomUser = {
  id: "bo",
  guest: false,
  rooms: ["private-team", "private-eng-*"],
};
const guest: RoomUser = { id: "guest:1234", guest: true, rooms: ["*"] };

Deno.test("mayAccess() opens public rooms to everyone", () => {
  for (const user of [ada, bo, guest]) assert(mayAccess(user, "general"));
});

Deno.test("mayAccess() opens a private room only to verified users whose token lists it", async (t) => {
  const cases: [RoomUser, string, boolean][] = [
    [bo, "private-team", true],
    [bo, "private-team2", false],
    [bo, "private-eng-", true],
    [bo, "private-eng-ops", true],
    [bo, "private-en", false],
    [ada, "private-team", false],
    [guest, "private-team", false],
  ];
  for (const [user, room, allowed] of cases) {
    await t.step(`${user.id} → ${room}`, () => {
      assert.equal(mayAccess(user, room), allowed);
    });
  }
});

Deno.test("mayAccess() opens a direct room only to its two verified users", () => {
  const room = directRoom(ada.id, bo.id);
  assert(mayAccess(ada, room));
  assert(mayAccess(bo, room));
  assert(!mayAccess({ id: "cy", guest: false, rooms: ["*"] }, room));
  assert(!mayAccess({ ...guest, id: "bo" }, room));
});
