/**
 * Serves the UI: an allow-list of the files under `static/`, read once into
 * memory, with `ETag`/`If-None-Match` revalidation. Request paths are looked
 * up in that list and never joined onto the filesystem, so no path can escape
 * the folder.
 *
 * @module
 */

/** Content types by file extension; other extensions are served as bytes. */
const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Browsers may keep a copy but must revalidate it (a cheap 304), so a new
 * deploy shows at once without fingerprinted file names.
 */
const CACHE_CONTROL = "no-cache";

/** A file held in memory for serving. */
export interface StaticFile {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  etag: string;
}

/** The files of one folder, keyed by URL path (`/app.js`); `/` serves `/index.html`. */
export type StaticFiles = ReadonlyMap<string, StaticFile>;

/**
 * One servable file: its bytes, the content type its name's extension calls
 * for, and an ETag from its contents.
 *
 * @param name The file's name (its extension picks the content type).
 * @param body Its contents.
 * @returns The file, ready for {@linkcode serveStatic}.
 */
export async function staticFile(
  name: string,
  body: Uint8Array<ArrayBuffer>,
): Promise<StaticFile> {
  const digest = await crypto.subtle.digest("SHA-256", body);
  const hash = Array.from(new Uint8Array(digest).subarray(0, 12))
    .map((byte) => byte.toString(16).padStart(2, "0")).join("");
  const dot = name.lastIndexOf(".");
  const extension = dot >= 0 ? name.slice(dot) : "";
  return {
    body,
    contentType: CONTENT_TYPES[extension] ?? "application/octet-stream",
    etag: `"${hash}"`,
  };
}

/** Tests kept beside the UI's modules (`format_test.ts`), which are not served. */
const TEST_FILE = /_test\.[jt]s$/;

/**
 * Reads every file below `dir` into memory and computes its ETag, except
 * hidden files and tests.
 *
 * @param dir Folder to serve.
 * @returns The allow-list of servable files.
 * @throws {Deno.errors.NotFound} When `dir` does not exist.
 */
export async function loadStaticFiles(dir: string): Promise<StaticFiles> {
  const files = new Map<string, StaticFile>();
  async function walk(folder: string, urlPrefix: string): Promise<void> {
    for await (const entry of Deno.readDir(folder)) {
      if (entry.name.startsWith(".") || TEST_FILE.test(entry.name)) continue;
      const path = `${folder}/${entry.name}`;
      const urlPath = `${urlPrefix}/${entry.name}`;
      if (entry.isDirectory) {
        await walk(path, urlPath);
      } else if (entry.isFile) {
        files.set(
          urlPath,
          await staticFile(entry.name, await Deno.readFile(path)),
        );
      }
    }
  }
  await walk(dir, "");
  const index = files.get("/index.html");
  if (index) files.set("/", index);
  return files;
}

/**
 * What a UI file refers to beside it: `src`/`href` in HTML, module
 * specifiers in JavaScript, `url()` in CSS. The client's modules
 * (`client/…`) are served from `client/` itself.
 */
const REFERENCE =
  /(?:\b(?:src|href)=["']|\bfrom\s*["']|\bimport\s*\(?\s*["']|\burl\(\s*["']?)((?:\.\/)?[\w-][\w./-]*)/g;

/**
 * Fetches the UI from a folder that cannot be listed (a package imported
 * from JSR, whose files are only reachable by URL): `index.html` and every
 * file it leads to through {@linkcode REFERENCE}s, and nothing else.
 *
 * @param base URL of the folder, ending in `/`.
 * @returns The allow-list of servable files.
 * @throws {Deno.errors.NotFound} When a file it refers to is missing.
 */
export async function fetchStaticFiles(base: URL): Promise<StaticFiles> {
  const files = new Map<string, StaticFile>();
  const queue = ["index.html"];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (files.has(`/${name}`)) continue;
    const res = await fetch(new URL(name, base));
    if (!res.ok) {
      await res.body?.cancel();
      throw new Deno.errors.NotFound(
        `Cannot read UI file "${name}": ${res.status}`,
      );
    }
    const body = new Uint8Array(await res.arrayBuffer());
    files.set(`/${name}`, await staticFile(name, body));
    if (!/\.(html|js|css)$/.test(name)) continue;
    for (
      const [, reference] of new TextDecoder().decode(body).matchAll(REFERENCE)
    ) {
      const path = new URL(reference!, `file:///${name}`).pathname.slice(1);
      if (!path.startsWith("client/")) queue.push(path);
    }
  }
  files.set("/", files.get("/index.html")!);
  return files;
}

function etagMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  return header.split(",").some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, "");
    return tag === etag || tag === "*";
  });
}

/**
 * Answers a request for a static file: 200 (or 304 when the client's copy is
 * current), 404 for anything not in the list, 405 for methods other than GET
 * and HEAD.
 *
 * @param files The allow-list from {@linkcode loadStaticFiles}.
 * @param req The request.
 * @param path The path to look up, when it is not the request's own (a
 * handler mounted under a prefix passes the path after it).
 * @returns The response.
 *
 * @example Serving the index and revalidating it
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveStatic } from "./static_files.ts";
 *
 * const body = new TextEncoder().encode("<h1>hi</h1>");
 * const files = new Map([["/", { body, contentType: "text/html", etag: '"x"' }]]);
 * const res = serveStatic(files, new Request("http://localhost/"));
 * assert.equal(res.status, 200);
 * await res.body?.cancel();
 * const again = serveStatic(files, new Request("http://localhost/", { headers: { "if-none-match": '"x"' } }));
 * assert.equal(again.status, 304);
 * ```
 */
export function serveStatic(
  files: StaticFiles,
  req: Request,
  path: string = new URL(req.url).pathname,
): Response {
  try {
    path = decodeURIComponent(path);
  } catch {
    return new Response("Bad request: malformed path\n", { status: 400 });
  }
  const file = files.get(path);
  if (!file) return new Response("Not found\n", { status: 404 });
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("Method not allowed\n", {
      status: 405,
      headers: { allow: "GET, HEAD" },
    });
  }
  const headers = {
    "content-type": file.contentType,
    "cache-control": CACHE_CONTROL,
    etag: file.etag,
    "x-content-type-options": "nosniff",
  };
  if (etagMatches(req.headers.get("if-none-match"), file.etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(req.method === "HEAD" ? null : file.body, {
    headers: { ...headers, "content-length": String(file.body.byteLength) },
  });
}
