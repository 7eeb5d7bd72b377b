import assert from "node:assert/strict";
import { ChatClient } from "./client.ts";
import { ChatError } from "./errors.ts";
import { StorageOutbox } from "./outbox.ts";
import { withTimeout } from "../testing/async.ts";
import { startServer } from "../testing/server.ts";
import { TcpProxy } from "../testing/tcp_proxy.ts";

Deno.test("StorageOutbox keeps a message typed offline for the next client, which delivers it once with its nonce", async () => {
  const prefix = `outbox_test.${crypto.randomUUID()}.`;
  await using server = startServer();
  await using proxy = new TcpProxy(server.port);
  const url = `ws://127.0.0.1:${proxy.port}/ws`;
  proxy.refuse(true);

  // The first page never reaches the server, and is closed.
  const page = new ChatClient(url, {
    name: "Ada",
    outbox: new StorageOutbox(sessionStorage, { prefix }),
  });
  const room = page.join("general");
  const closed = assert.rejects(
    room.send("typed offline"),
    (error) => error instanceof ChatError && error.code === "closed",
  );
  const nonce = room.pending[0]!.nonce;
  await page.close();
  await closed;

  // The reloaded page finds it and sends it.
  proxy.refuse(false);
  await using reloaded = new ChatClient(url, {
    name: "Ada",
    outbox: new StorageOutbox(sessionStorage, { prefix }),
  });
  const again = reloaded.join("general");
  assert.deepEqual(again.pending.map((entry) => [entry.nonce, entry.text]), [
    [nonce, "typed offline"],
  ]);
  const delivered = Promise.withResolvers<void>();
  again.on("pending", (event) => {
    if (event.pending.length === 0) delivered.resolve();
  });
  await withTimeout(delivered.promise, "the outbox to empty");
  const page1 = await again.history({ before: again.lastId + 1 });
  assert.deepEqual(page1.messages.map((message) => message.text), [
    "typed offline",
  ]);
  assert.equal(
    new StorageOutbox(sessionStorage, { prefix }).entries().length,
    0,
    "the stored entry is gone once acknowledged",
  );
});
