import assert from "node:assert/strict";
import { presenceContract } from "../testing/presence_contract.ts";
import { MemoryPresence } from "./presence.ts";

// One process is one instance: both sides of the pair are the same presence.
presenceContract("MemoryPresence", () => {
  const presence = new MemoryPresence();
  return Promise.resolve({
    a: presence,
    b: presence,
    [Symbol.asyncDispose]: () => presence.close(),
  });
});

Deno.test("MemoryPresence.members() with a limit lists the first names in order", async () => {
  await using presence = new MemoryPresence();
  for (const name of ["cy", "ada", "bo", "ada"]) {
    await presence.join("general", { id: name, name });
  }
  const members = await presence.members("general", 2);
  assert.deepEqual(members.map((member) => member.name), ["ada", "bo"]);
});
