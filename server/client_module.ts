/**
 * Serves the client library (`client/`) to browsers as JavaScript, so a page
 * imports it with no build step: `import { ChatClient } from "./client/mod.js"`.
 * Browsers cannot run TypeScript; the client is written in erasable
 * TypeScript only, and Node's own type stripper (`amaro`) blanks its types
 * out, keeping every line and column where it was.
 *
 * @module
 */
import { type StaticFile, staticFile } from "./static_files.ts";

/** URL path the client's modules are served under. */
export const CLIENT_PATH = "/client/";

/** The client's entry module, whose imports are followed. */
const ENTRY = new URL("../client/mod.ts", import.meta.url);

/**
 * Relative module specifiers ending in `.ts` in `import` and `export …
 * from` statements (and the code samples in comments, harmlessly).
 */
const SPECIFIER =
  /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}\/[^"']+)\.ts\2/g;

/**
 * Strips the types from one module and points its relative imports at the
 * `.js` names it is served under.
 *
 * @param source The module's TypeScript.
 * @returns Its JavaScript, and the modules beside it that it imports.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toJavaScript } from "./client_module.ts";
 *
 * const { code, imports } = await toJavaScript(
 *   'import type { A } from "./a.ts";\nimport { b } from "./b.ts";\nexport const c: number = b;\n',
 * );
 * assert.match(code, /import \{ b \} from "\.\/b\.js"/);
 * assert.doesNotMatch(code, /: number|a\.ts/);
 * assert.deepEqual(imports, ["b.ts"]);
 * ```
 */
export async function toJavaScript(
  source: string,
): Promise<{ code: string; imports: string[] }> {
  const { transformSync } = await import("amaro");
  const stripped = transformSync(source, { mode: "strip-only" }).code;
  const imports = new Set<string>();
  const code = stripped.replace(
    SPECIFIER,
    (_, keyword: string, quote: string, path: string) => {
      // Only modules of the client's own folder; `../` appears in examples.
      if (path.startsWith("./")) imports.add(`${path.slice(2)}.ts`);
      return `${keyword}${quote}${path}.js${quote}`;
    },
  );
  return { code, imports: [...imports] };
}

/**
 * Reads the client's modules, starting at `client/mod.ts` and following its
 * imports, as JavaScript files keyed by URL path (`/client/mod.js`). Reads
 * through `fetch`, so it works from a local checkout and from a published
 * package alike.
 *
 * @returns The files to serve.
 */
export async function loadClientModule(): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  const queue = ["mod.ts"];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    const jsName = name.replace(/\.ts$/, ".js");
    if (files.has(CLIENT_PATH + jsName)) continue;
    const response = await fetch(new URL(name, ENTRY));
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(
        `Cannot read client module "${name}": ${response.status}`,
      );
    }
    const { code, imports } = await toJavaScript(await response.text());
    files.set(
      CLIENT_PATH + jsName,
      await staticFile(jsName, new TextEncoder().encode(code)),
    );
    queue.push(...imports);
  }
  return files;
}
