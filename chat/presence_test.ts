import assert from "node:assert/strict";
import { MemoryPresence } from "./presence.ts";

Deno.test("MemoryPresence.members() stays sorted as names come and go", async () => {
  await using presence = new MemoryPresence();
  for (const name of ["mia", "Ada", "bo", "zoë", "bo", "émile", "al"]) {
    await presence.join("general", name);
  }
  assert.deepEqual(await presence.members("general"), [
    "Ada",
    "al",
    "bo",
    "mia",
    "zoë",
    "émile",
  ]);
  assert.equal(await presence.leave("general", "bo"), false);
  assert.equal(await presence.leave("general", "mia"), true);
  assert.equal(await presence.leave("general", "nobody"), false);
  const members = await presence.members("general");
  assert.deepEqual(members, ["Ada", "al", "bo", "zoë", "émile"]);
  members.push("mutated");
  assert.deepEqual(await presence.members("general"), members.slice(0, -1));
});

Deno.test("MemoryPresence.members() with a limit lists the first names; count() counts all", async () => {
  await using presence = new MemoryPresence();
  for (const name of ["cy", "ada", "bo", "ada"]) {
    await presence.join("general", name);
  }
  assert.deepEqual(await presence.members("general", 2), ["ada", "bo"]);
  assert.equal(await presence.count("general"), 3);
  assert.equal(await presence.count("empty"), 0);
});
