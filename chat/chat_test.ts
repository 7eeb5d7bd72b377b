import assert from "node:assert/strict";
import { MemoryBroker } from "../broker.ts";
import { Chat } from "./chat.ts";
import { KvHistory } from "../kv/history.ts";
import { MemoryPresence } from "./presence.ts";
import type { Broadcast } from "./events.ts";

Deno.test("Chat.join() reads the member list unless members is false", async () => {
  await using broker = new MemoryBroker<Broadcast>();
  await using history = new KvHistory(await Deno.openKv(":memory:"));
  await using presence = new MemoryPresence();
  const chat = new Chat({ broker, history, presence });
  const ada = await chat.join("general", "ada");
  assert.deepEqual(ada.members, ["ada"]);
  const bo = await chat.join("general", "bo", { members: false });
  assert.deepEqual(bo.members, []);
  assert.deepEqual(await presence.members("general"), ["ada", "bo"]);
  await ada.subscription.return();
  await bo.subscription.return();
});
