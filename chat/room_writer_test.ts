import assert from "node:assert/strict";
import { MemoryBroker } from "../broker.ts";
import { KvHistory } from "../kv/history.ts";
import type { Broadcast } from "./events.ts";
import { RoomWriter } from "./room_writer.ts";

/** A history on an in-memory Deno KV that records the size of each append. */
function countingHistory(): { history: KvHistory; batches: number[] } {
  const history = new KvHistory(Deno.openKv(":memory:"));
  const batches: number[] = [];
  const append = history.append.bind(history);
  history.append = (room, drafts) => {
    batches.push(drafts.length);
    return append(room, drafts);
  };
  return { history, batches };
}

/** Posts `count` messages one event-loop turn after another. */
async function postInTurns(
  writer: RoomWriter,
  count: number,
): Promise<number[]> {
  const posted = [];
  for (let i = 0; i < count; i++) {
    posted.push(writer.post("r", { userId: "u", user: "ada", text: `${i}` }));
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return (await Promise.all(posted)).map((stored) => stored.message.id);
}

Deno.test("RoomWriter.post() stores a lone message at once without a commit window", async () => {
  await using broker = new MemoryBroker<Broadcast>();
  const { history, batches } = countingHistory();
  await using _ = history;
  const writer = new RoomWriter(broker, history);
  const ids = await postInTurns(writer, 5);
  assert.deepEqual(ids, [1, 2, 3, 4, 5]);
  // Each message came in its own turn after the previous commit began.
  assert(batches.length > 1, `batches: ${batches}`);
});

Deno.test("RoomWriter.post() gathers what arrives within the commit window into one commit", async () => {
  await using broker = new MemoryBroker<Broadcast>();
  const { history, batches } = countingHistory();
  await using _ = history;
  const subscription = broker.subscribe("r");
  const writer = new RoomWriter(broker, history, { commitWindowMs: 200 });
  const ids = await postInTurns(writer, 5);
  assert.deepEqual(ids, [1, 2, 3, 4, 5]);
  assert.deepEqual(batches, [5]);
  // Stored first, then published, in id order.
  const { value } = await subscription.next();
  assert.deepEqual(value?.map((event) => event.id), [1, 2, 3, 4, 5]);
  await subscription.return();
});
