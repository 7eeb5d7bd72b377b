import assert from "node:assert/strict";
import { createHandler } from "./handler.ts";
import { fetchStaticFiles, loadStaticFiles } from "./static_files.ts";

async function get(
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  await using handler = createHandler();
  return await handler(new Request(`http://localhost${path}`, init));
}

Deno.test("GET / serves the UI as HTML with ETag and Cache-Control", async () => {
  const res = await get("/");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(res.headers.get("etag") ?? "", /^"[0-9a-f]+"$/);
  assert.equal(res.headers.get("cache-control"), "no-cache");
  assert.match(await res.text(), /<html/);
});

Deno.test("GET serves the UI's assets with their content types", async () => {
  for (
    const [path, type] of [
      ["/app.js", "text/javascript; charset=utf-8"],
      ["/style.css", "text/css; charset=utf-8"],
      ["/favicon.svg", "image/svg+xml"],
    ]
  ) {
    const res = await get(path!);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("content-type"), type);
    await res.body?.cancel();
  }
});

Deno.test("GET with a matching If-None-Match answers 304 without a body", async () => {
  const first = await get("/app.js");
  await first.body?.cancel();
  const etag = first.headers.get("etag")!;
  const res = await get("/app.js", { headers: { "if-none-match": etag } });
  assert.equal(res.status, 304);
  assert.equal(res.headers.get("etag"), etag);
  assert.equal(await res.text(), "");
  const stale = await get("/app.js", {
    headers: { "if-none-match": '"stale"' },
  });
  assert.equal(stale.status, 200);
  await stale.body?.cancel();
});

Deno.test("HEAD answers headers only", async () => {
  const res = await get("/", { method: "HEAD" });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "");
  assert(Number(res.headers.get("content-length")) > 0);
});

Deno.test("GET of an unknown path answers 404", async () => {
  const res = await get("/nope.html");
  assert.equal(res.status, 404);
  await res.body?.cancel();
});

Deno.test("GET of a test kept beside the UI answers 404", async () => {
  const res = await get("/format_test.ts");
  assert.equal(res.status, 404);
  await res.body?.cancel();
});

Deno.test("POST to a static file or /healthz answers 405 with Allow", async () => {
  for (const path of ["/", "/app.js", "/healthz"]) {
    const res = await get(path, { method: "POST" });
    assert.equal(res.status, 405, path);
    assert.equal(res.headers.get("allow"), "GET, HEAD");
    await res.body?.cancel();
  }
});

Deno.test("path traversal never escapes static/", async (t) => {
  const handler = createHandler();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
  try {
    for (
      const path of [
        "/../main.ts",
        "/%2e%2e/main.ts",
        "/%2E%2E%2Fmain.ts",
        "/..%2fmain.ts",
        "/static/../main.ts",
        "/%252e%252e/main.ts",
        "/..\\main.ts",
        "//etc/passwd",
        "/%00",
        "/%",
      ]
    ) {
      await t.step(path, async () => {
        // Raw HTTP so the client does not normalise the path first.
        const conn = await Deno.connect({
          hostname: "127.0.0.1",
          port: server.addr.port,
        });
        try {
          await conn.write(new TextEncoder().encode(
            `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
          ));
          let response = "";
          const buffer = new Uint8Array(4096);
          for (let read; (read = await conn.read(buffer)) !== null;) {
            response += new TextDecoder().decode(buffer.subarray(0, read));
          }
          assert.match(
            response,
            /^HTTP\/1\.1 (400|404)/,
            response.split("\r\n")[0],
          );
          assert(!response.includes("createHandler"), "served a source file");
        } finally {
          conn.close();
        }
      });
    }
  } finally {
    await handler.shutdown();
    await server.shutdown();
  }
});

Deno.test("fetchStaticFiles() finds by URL the same UI files that loadStaticFiles() lists in the folder", async () => {
  const dir = new URL("../static/", import.meta.url);
  // Files reachable by URL only, as a package's are on JSR.
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      try {
        const path = `.${new URL(req.url).pathname}`;
        return new Response(await Deno.readFile(new URL(path, dir)));
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
        return new Response("Not found\n", { status: 404 });
      }
    },
  );
  const fetched = await fetchStaticFiles(
    new URL(`http://127.0.0.1:${server.addr.port}/`),
  );
  const listed = await loadStaticFiles(dir.pathname);
  assert.deepEqual([...fetched.keys()].sort(), [...listed.keys()].sort());
  for (const [path, file] of listed) {
    assert.equal(fetched.get(path)?.etag, file.etag, path);
  }
});
