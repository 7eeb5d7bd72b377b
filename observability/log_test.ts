import assert from "node:assert/strict";
import { withTimeout } from "../testing/async.ts";
import { connect, connectJson } from "../testing/client.ts";
import { spawnServer } from "../testing/server_process.ts";

const SECRET = "the text of a private message";

Deno.test("log writes one JSON line per connection open and close, never message text", async () => {
  await using child = await spawnServer(["--log-level", "debug"]);
  const wsUrl = `${child.url.replace("http", "ws")}ws`;
  const plain = await connect(wsUrl);
  plain.socket.send(SECRET);
  assert.equal(await plain.nextFrame(), SECRET);
  await plain[Symbol.asyncDispose]();
  const { client: json } = await connectJson(wsUrl);
  json.sendJson({ type: "send", text: SECRET });
  await json.nextOfType("ack");
  json.socket.send(`{"type":"${SECRET}"}`);
  await json.nextOfType("error");
  await json[Symbol.asyncDispose]();
  child.process.kill("SIGTERM");
  assert.equal((await withTimeout(child.process.status, "exit")).code, 0);

  const lines = child.stderr().trimEnd().split("\n");
  const records = lines.map((line) => JSON.parse(line));
  for (const record of records) {
    assert.equal(typeof record.time, "string");
    assert.equal(typeof record.level, "string");
    assert.equal(typeof record.event, "string");
  }
  const opened = records.filter((r) => r.event === "connection.open");
  const closed = records.filter((r) => r.event === "connection.close");
  assert.equal(opened.length, 2);
  assert.equal(closed.length, 2);
  assert.deepEqual(
    new Set(closed.map((r) => r.id)),
    new Set(opened.map((r) => r.id)),
  );
  for (const record of [...opened, ...closed]) {
    assert.equal(record.level, "debug");
  }
  assert(!child.stderr().includes(SECRET), "a log line holds message text");
});
