import assert from "node:assert/strict";
import { defaultConfig } from "./settings.ts";
import { admitUpgrade, isWebSocketKey } from "./ws_endpoint.ts";

function upgrade(headers: Record<string, string>): Request {
  return new Request("http://localhost/ws", {
    headers: {
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-version": "13",
      ...headers,
    },
  });
}

Deno.test("isWebSocketKey() accepts only 16 bytes in base64", () => {
  assert(isWebSocketKey("dGhlIHNhbXBsZSBub25jZQ=="));
  for (
    const key of [null, "", "abc", btoa("a".repeat(17)), "!".repeat(22) + "=="]
  ) {
    assert(!isWebSocketKey(key), String(key));
  }
});

Deno.test("admitUpgrade() refuses a malformed Sec-WebSocket-Key with 400", async () => {
  const res = admitUpgrade(
    upgrade({ "sec-websocket-key": "abc" }),
    defaultConfig(),
    0,
  );
  assert(res instanceof Response);
  assert.equal(res.status, 400);
  assert.match(await res.text(), /Sec-WebSocket-Key/);
});

Deno.test("admitUpgrade() refuses another WebSocket version with 426 naming 13", async () => {
  const res = admitUpgrade(
    upgrade({
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "8",
    }),
    defaultConfig(),
    0,
  );
  assert(res instanceof Response);
  assert.equal(res.status, 426);
  assert.equal(res.headers.get("sec-websocket-version"), "13");
  await res.body?.cancel();
});
