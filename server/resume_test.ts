import assert from "node:assert/strict";
import type { LogEntry } from "../chat/events.ts";
import {
  ask,
  sendAndAck,
  signedIn,
  type TestClient,
} from "../testing/client.ts";
import { startKvInstances } from "../testing/kv_instances.ts";
import { SKIP_REDIS, startRedisCluster } from "../testing/redis.ts";
import { TEST_SECRET } from "../testing/tokens.ts";

/** An entry as the tests compare it: its kind, and its text or target. */
function summary(entry: LogEntry): string {
  return entry.type === "message"
    ? `message ${entry.text}`
    : entry.type === "edit"
    ? `edit ${entry.target} ${entry.text}`
    : `delete ${entry.target}`;
}

/** Log entries `client` receives live until one that `last` describes. */
async function entriesUntil(client: TestClient, last: string) {
  const seen: string[] = [];
  while (seen.at(-1) !== last) {
    const event = await client.nextEvent();
    if (
      event.type === "message" || event.type === "edit" ||
      event.type === "delete"
    ) seen.push(summary(event));
  }
  return seen;
}

/**
 * Ada changes messages on instance `a` while Bo watches on `b`, then while
 * Bo is away: Bo sees the live changes in order, and on resuming with
 * `since` exactly those made while away, once and in order.
 */
async function resumeAcrossInstances(a: string, b: string): Promise<void> {
  await using ada = (await signedIn(a, { sub: "ada" })).client;
  const { client: bo } = await signedIn(b, { sub: "bo" });
  const one = await sendAndAck(ada, "general", "one", "s1");
  const two = await sendAndAck(ada, "general", "two", "s2");
  await ask(ada, { type: "edit", room: "general", id: one.id, text: "1" });
  assert.deepEqual(await entriesUntil(bo, `edit ${one.id} 1`), [
    "message one",
    "message two",
    `edit ${one.id} 1`,
  ]);
  const lastSeen = one.id + 2;
  await bo[Symbol.asyncDispose]();

  await ask(ada, { type: "edit", room: "general", id: two.id, text: "2" });
  await ask(ada, { type: "delete", room: "general", id: one.id });
  await sendAndAck(ada, "general", "three", "s3");
  const { client: back } = await signedIn(b, { sub: "bo" }, []);
  await using _ = back;
  back.sendJson({ type: "join", room: "general", since: lastSeen });
  const joined = await back.nextOfType("joined");
  assert.deepEqual(joined.messages.map(summary), [
    `edit ${two.id} 2`,
    `delete ${one.id}`,
    "message three",
  ]);
  assert.equal(joined.truncated, false);
  // And live again after the resume, with nothing repeated.
  await ask(ada, { type: "edit", room: "general", id: two.id, text: "II" });
  assert.deepEqual(await entriesUntil(back, `edit ${two.id} II`), [
    `edit ${two.id} II`,
  ]);
}

Deno.test("resume: across two Deno KV isolates, a client gets the edits and deletions made while it was away, once and in order", async () => {
  await using isolates = await startKvInstances(2, { authSecret: TEST_SECRET });
  await resumeAcrossInstances(isolates.wsUrls[0]!, isolates.wsUrls[1]!);
});

Deno.test({
  name:
    "resume: across two Redis instances, a client gets the edits and deletions made while it was away, once and in order",
  ignore: SKIP_REDIS,
  async fn() {
    await using cluster = await startRedisCluster(2, [
      "--auth-secret",
      TEST_SECRET,
    ]);
    await resumeAcrossInstances(cluster.wsUrls[0]!, cluster.wsUrls[1]!);
  },
});
