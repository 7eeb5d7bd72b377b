import assert from "node:assert/strict";
import { createHandler } from "./handler.ts";
import { ChatClient } from "../client/mod.ts";

Deno.test("createHandler() with basePath serves the UI, the client and /ws under it, and nothing outside", async () => {
  await using handler = createHandler({ basePath: "/chat" });
  const get = (path: string) => handler(new Request(`http://localhost${path}`));

  const redirect = await get("/chat?x=1");
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.get("location"), "http://localhost/chat/?x=1");
  for (const path of ["/chat/", "/chat/app.js", "/chat/client/mod.js"]) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    await res.body?.cancel();
  }
  const health = await get("/chat/healthz");
  assert.equal((await health.json()).status, "ok");
  for (const path of ["/", "/app.js", "/ws", "/chatty/", "/chat-x"]) {
    const res = await get(path);
    assert.equal(res.status, 404, path);
    await res.body?.cancel();
  }
});

Deno.test("createHandler() with basePath takes chat.v1 connections on its /ws", async () => {
  await using handler = createHandler({ basePath: "/chat" });
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
  await using client = new ChatClient(
    `http://127.0.0.1:${server.addr.port}/chat/ws`,
    { name: "Ada" },
  );
  const ack = await client.join("general").send("mounted");
  assert.equal(ack.id, 1);
});

Deno.test("createHandler() refuses a base path that does not start with a slash or ends with one", () => {
  for (const basePath of ["chat", "/chat/", "/", "//chat"]) {
    assert.throws(() => createHandler({ basePath }), TypeError, basePath);
  }
});
