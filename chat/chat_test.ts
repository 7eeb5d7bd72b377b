import assert from "node:assert/strict";
import { MemoryBroker } from "../broker.ts";
import { Chat } from "./chat.ts";
import { KvHistory } from "../kv/history.ts";
import { MemoryPresence } from "./presence.ts";
import type { Broadcast } from "./events.ts";

const ada = { id: "u1", name: "Ada" };
const bo = { id: "u2", name: "Bo" };

Deno.test("Chat.join() reads the member list unless members is false", async () => {
  await using broker = new MemoryBroker<Broadcast>();
  await using history = new KvHistory(await Deno.openKv(":memory:"));
  await using presence = new MemoryPresence();
  const chat = new Chat({ broker, history, presence });
  const first = await chat.join("general", ada);
  assert.deepEqual(first.members, [ada]);
  const second = await chat.join("general", bo, { members: false });
  assert.deepEqual(second.members, []);
  assert.deepEqual(await presence.members("general"), [ada, bo]);
  await first.subscription.return();
  await second.subscription.return();
});

Deno.test("Chat.rename() lists the user under the new name and announces it as an arrival", async () => {
  await using broker = new MemoryBroker<Broadcast>();
  await using history = new KvHistory(await Deno.openKv(":memory:"));
  await using presence = new MemoryPresence();
  const chat = new Chat({ broker, history, presence });
  const watcher = await chat.join("general", bo);
  await chat.join("general", ada).then((joined) =>
    joined.subscription.return()
  );
  await chat.rename(["general"], { ...ada, name: "Ada L." });
  const events = [];
  while (events.length < 3) {
    const { value } = await watcher.subscription.next();
    events.push(...value!.map((broadcast) => JSON.parse(broadcast.json)));
  }
  assert.deepEqual(events.map((event) => [event.joined, event.left]), [
    [[bo], []],
    [[ada], []],
    [[{ ...ada, name: "Ada L." }], []],
  ]);
  assert.deepEqual(await presence.members("general"), [
    { ...ada, name: "Ada L." },
    bo,
  ]);
  await watcher.subscription.return();
});
