import assert from "node:assert/strict";
import { createHandler } from "./handler.ts";

Deno.test("GET /client/mod.js serves the client as JavaScript a browser can import", async () => {
  await using handler = createHandler();
  const res = await handler(new Request("http://localhost/client/mod.js"));
  assert.equal(res.status, 200);
  assert.equal(
    res.headers.get("content-type"),
    "text/javascript; charset=utf-8",
  );
  const code = await res.text();
  assert.match(code, /export \{[^}]*ChatClient[^}]*\} from "\.\/client\.js"/);
  // Type-only exports are blanked out, not left for the browser to choke on.
  assert.doesNotMatch(code, /export type|type ChatClientOptions/);
});

Deno.test("GET /client/ serves every module the client imports, each with its ETag", async () => {
  await using handler = createHandler();
  const seen = new Set<string>();
  const queue = ["mod.js"];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const res = await handler(new Request(`http://localhost/client/${name}`));
    assert.equal(res.status, 200, name);
    const etag = res.headers.get("etag")!;
    const code = await res.text();
    assert.doesNotMatch(code, /from "\.\/[^"]+\.ts"/, `${name} imports .ts`);
    for (const [, imported] of code.matchAll(/from "\.\/([^"]+\.js)"/g)) {
      queue.push(imported!);
    }
    const again = await handler(
      new Request(`http://localhost/client/${name}`, {
        headers: { "if-none-match": etag },
      }),
    );
    assert.equal(again.status, 304, name);
  }
  assert.ok(seen.has("client.js") && seen.has("_room.js"), [...seen].join());
  const res = await handler(new Request("http://localhost/client/mod.ts"));
  assert.equal(res.status, 404, "the TypeScript source is not served");
  await res.body?.cancel();
});
