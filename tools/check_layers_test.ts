import assert from "node:assert/strict";
import { findLayerViolations, readTree } from "./check_layers.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Reasons given for `file` importing `specifier` (built here, so this file's own source imports nothing it names). */
function reasonsFor(file: string, specifier: string): string[] {
  const source = `import { x } from "${specifier}";`;
  return findLayerViolations(new Map([[file, source]])).map((violation) =>
    violation.reason
  );
}

Deno.test("findLayerViolations() finds none in this repository", async () => {
  assert.deepEqual(findLayerViolations(await readTree(ROOT)), []);
});

Deno.test("findLayerViolations() reads imports, re-exports and doc examples", () => {
  const violations = findLayerViolations(
    new Map([[
      "chat/chat.ts",
      [
        `import type { A } from "${"../server/protocol.ts"}";`,
        `export { B } from "${"../main.ts"}";`,
        ` * import { C } from "${"../server/handler.ts"}";`,
        `const d = await import("${"../kv/history.ts"}");`,
      ].join("\n"),
    ]]),
  );
  assert.deepEqual(violations.map((violation) => violation.target), [
    "server/protocol.ts",
    "main.ts",
    "server/handler.ts",
    "kv/history.ts",
  ]);
});

Deno.test("findLayerViolations() refuses imports up, beside, into the tools and of others' private files", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["chat/chat.ts", "../server/protocol.ts", /above/],
    ["kv/history.ts", "../redis/client.ts", /beside/],
    ["broker.ts", "./chat/events.ts", /above/],
    ["observability/log.ts", "../main.ts", /above/],
    ["server/handler.ts", "../testing/client.ts", /tool/],
    ["bench/soak.ts", "../e2e/_browser.ts", /private/],
    ["chat/chat.ts", "../broker/_room.ts", /private/],
    ["broker/_room.ts", "../chat/events.ts", /above/],
    ["client/client.ts", "../server/protocol.ts", /client.*runtime/],
    ["server/handler.ts", "../client/mod.ts", /imports the client/],
    ["server/handler.ts", "../examples/hono.ts", /example/],
    ["examples/hono.ts", "../server/handler.ts", /entry points/],
  ];
  for (const [file, specifier, expected] of cases) {
    await t.step(`${file} → ${specifier}`, () => {
      const reasons = reasonsFor(file, specifier);
      assert.equal(reasons.length, 1, `expected one violation: ${reasons}`);
      assert.match(reasons[0]!, expected);
    });
  }
});

Deno.test("findLayerViolations() allows imports down, within a folder, from tools and in tests", async (t) => {
  const cases: [string, string][] = [
    ["server/handler.ts", "../chat/chat.ts"],
    ["kv/history.ts", "./database.ts"],
    ["main.ts", "./server/handler.ts"],
    ["chat/chat.ts", "../broker.ts"],
    ["broker.ts", "./broker/_room.ts"],
    ["broker/_room.ts", "../broker.ts"],
    ["broker/_room.ts", "./_subscriber.ts"],
    ["testing/server.ts", "../main.ts"],
    ["chat/chat_test.ts", "../kv/history.ts"],
    ["e2e/chat_test.ts", "./_browser.ts"],
    ["client/client.ts", "./_room.ts"],
    ["server/handler_test.ts", "../client/mod.ts"],
    ["examples/hono.ts", "../main.ts"],
    ["examples/hono.ts", "../client/mod.ts"],
    ["examples/hono_test.ts", "../testing/server.ts"],
  ];
  for (const [file, specifier] of cases) {
    await t.step(`${file} → ${specifier}`, () => {
      assert.deepEqual(reasonsFor(file, specifier), []);
    });
  }
});

Deno.test("findLayerViolations() lets the client import the wire types, and a package entry in its examples only", () => {
  const violations = findLayerViolations(
    new Map([[
      "client/types.ts",
      [
        `import type {\n  A,\n  B,\n} from "${"../server/protocol.ts"}";`,
        `export type { C } from "${"../chat/events.ts"}";`,
        ` * import { createHandler } from "${"../main.ts"}";`,
        `import { D } from "${"../main.ts"}";`,
        ` * import { E } from "${"../server/handler.ts"}";`,
      ].join("\n"),
    ]]),
  );
  assert.deepEqual(violations.map((violation) => violation.target), [
    "main.ts",
    "server/handler.ts",
  ]);
});
