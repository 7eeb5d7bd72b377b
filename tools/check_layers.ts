/**
 * Checks that imports run one way, down the layers: a module may import from
 * its own folder and from the layers below it, never from a layer above or
 * from a folder beside it, and never from the tools (tests, benchmark). A
 * file whose name starts with `_` is imported only from its own folder. A
 * root module and the folder of its name (`broker.ts` and `broker/`, which
 * holds its private parts) are one unit: each imports the other.
 *
 * Tests (`*_test.ts`) are the one exception to the direction: a test of a
 * lower layer may run against the real pieces above it (a real KV history, a
 * real server) rather than a stand-in.
 *
 * Beside the layers stand the client library (`client/`), which runs in
 * browsers and other runtimes and so imports nothing of the server at runtime
 * (type-only imports of the wire types are erased), and the example apps
 * (`examples/`), which use the package as an app would: `main.ts` and
 * `client/mod.ts`. The product imports neither.
 *
 * Run `deno task check`, which runs this after fmt, lint and type checks.
 *
 * @module
 */
import { dirname, join, normalize, relative } from "node:path";
import { print } from "../observability/log.ts";

/** The product's layers, lowest first; each is a list of folders (ending in `/`) or root files. */
export const LAYERS: readonly (readonly string[])[] = [
  ["observability/"],
  ["broker.ts", "broker/"],
  ["chat/"],
  ["auth/"],
  ["kv/", "redis/"],
  ["server/"],
  ["main.ts"],
];

/** The client library: its own folder at runtime, and wire types only. */
export const CLIENT_FOLDER = "client/";

/** Example host apps, which import only the package's entry points. */
export const EXAMPLES_FOLDER = "examples/";

/** The entry points the package exports, all an example may import of it. */
export const PACKAGE_ENTRIES: readonly string[] = ["main.ts", "client/mod.ts"];

/** Folders of tools and test helpers, which the product never imports. */
export const TOOL_FOLDERS: readonly string[] = [
  "bench/",
  "e2e/",
  "testing/",
  "tools/",
];

/** One import that breaks the rules. */
export interface LayerViolation {
  /** The importing file, relative to the root. */
  file: string;
  /** The imported file, relative to the root. */
  target: string;
  /** Which rule it breaks. */
  reason: string;
}

/**
 * An `import`/`export … from` statement (group 1 holds `type` when the whole
 * statement is type-only), a dynamic `import()`, or a bare `import "…"`,
 * of a relative specifier.
 */
const IMPORT =
  /\b(?:(?:import|export)\b(\s+type\b)?[^"';]*?\bfrom\s*|import\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g;

/** One relative import of a file. */
interface RelativeImport {
  specifier: string;
  /** Erased when compiled: `import type` or `export type … from`. */
  typeOnly: boolean;
  /** In a JSDoc `@example`, which runs as a user of the package would. */
  inExample: boolean;
}

/** The relative specifiers `source` imports, doc examples included. */
function relativeImports(source: string): RelativeImport[] {
  return [...source.matchAll(IMPORT)].map((match) => {
    const lineStart = source.lastIndexOf("\n", match.index) + 1;
    return {
      specifier: match[2]!,
      typeOnly: match[1] !== undefined,
      inExample: /^\s*\*\s*$/.test(source.slice(lineStart, match.index)),
    };
  });
}

/** The part of the tree `path` belongs to: its layer folder or root file. */
function unitOf(path: string): string {
  const slash = path.indexOf("/");
  return slash < 0 ? path : path.slice(0, slash + 1);
}

/**
 * Whether `a` and `b` are one unit: the same folder or root file, or a root
 * module and the folder of its name (`broker.ts` and `broker/`).
 */
function sameUnit(a: string, b: string): boolean {
  const unitA = unitOf(a);
  const unitB = unitOf(b);
  return unitA === unitB || partsOf(unitA) === unitB ||
    partsOf(unitB) === unitA;
}

/** The folder of a root module's private parts: `broker/` for `broker.ts`. */
function partsOf(unit: string): string {
  return unit.endsWith(".ts") ? `${unit.slice(0, -".ts".length)}/` : unit;
}

function layerOf(path: string): number {
  const unit = unitOf(path);
  return LAYERS.findIndex((layer) => layer.includes(unit));
}

/**
 * Finds the imports of `files` that break the layering.
 *
 * @param files Each file's path relative to the root, and its source.
 * @returns The violations, in the order found.
 *
 * @example A store that imports the server
 * ```ts
 * import assert from "node:assert/strict";
 * import { findLayerViolations } from "./check_layers.ts";
 *
 * const violations = findLayerViolations(
 *   new Map([["kv/history.ts", 'import { log } from "../server/protocol.ts";']]),
 * );
 * assert.equal(violations[0]?.target, "server/protocol.ts");
 * ```
 */
export function findLayerViolations(
  files: ReadonlyMap<string, string>,
): LayerViolation[] {
  const violations: LayerViolation[] = [];
  for (const [file, source] of files) {
    const layer = layerOf(file);
    const isTest = file.endsWith("_test.ts");
    for (const found of relativeImports(source)) {
      const target = normalize(join(dirname(file), found.specifier));
      const reason = ruleBroken(file, layer, isTest, target) ??
        besideTheLayers(file, isTest, target, found);
      if (reason) violations.push({ file, target, reason });
    }
  }
  return violations;
}

function ruleBroken(
  file: string,
  layer: number,
  isTest: boolean,
  target: string,
): string | undefined {
  const targetName = target.slice(target.lastIndexOf("/") + 1);
  if (
    targetName.startsWith("_") && dirname(target) !== dirname(file) &&
    `${dirname(target)}/` !== partsOf(file)
  ) {
    return `"${target}" is private to its folder`;
  }
  if (layer < 0) return undefined; // A tool: it may use any part.
  if (TOOL_FOLDERS.includes(unitOf(target))) {
    return isTest ? undefined : "the product imports a tool";
  }
  const targetLayer = layerOf(target);
  if (targetLayer < 0 || isTest) return undefined;
  if (targetLayer > layer) return "imports a layer above its own";
  if (targetLayer === layer && !sameUnit(target, file)) {
    return "imports a folder beside its own";
  }
  return undefined;
}

/** The rules of the client and the examples, which stand beside the layers. */
function besideTheLayers(
  file: string,
  isTest: boolean,
  target: string,
  { typeOnly, inExample }: RelativeImport,
): string | undefined {
  const unit = unitOf(file);
  const targetUnit = unitOf(target);
  if (unit === CLIENT_FOLDER) {
    if (isTest || targetUnit === CLIENT_FOLDER) return undefined;
    if (typeOnly && layerOf(target) >= 0) return undefined;
    // An example may start a server to talk to, as an app would.
    if (inExample && PACKAGE_ENTRIES.includes(target)) return undefined;
    return "the client imports code from outside client/ at runtime";
  }
  if (unit === EXAMPLES_FOLDER) {
    if (targetUnit === EXAMPLES_FOLDER || PACKAGE_ENTRIES.includes(target)) {
      return undefined;
    }
    if (isTest && TOOL_FOLDERS.includes(targetUnit)) return undefined;
    return "an example imports more of the package than its entry points";
  }
  if (layerOf(file) < 0 || isTest) return undefined;
  if (targetUnit === EXAMPLES_FOLDER) return "the product imports an example";
  if (targetUnit === CLIENT_FOLDER) {
    return "the product imports the client (it serves it as files)";
  }
  return undefined;
}

/**
 * Reads every TypeScript file git tracks (and new ones it does not ignore)
 * under `root`.
 *
 * @param root The repository's root folder.
 * @returns Each file's path relative to `root`, and its source.
 */
export async function readTree(root: string): Promise<Map<string, string>> {
  const { stdout } = await new Deno.Command("git", {
    args: ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts"],
    cwd: root,
    stdout: "piped",
  }).output();
  const files = new Map<string, string>();
  for (const path of new TextDecoder().decode(stdout).split("\n")) {
    if (path === "") continue;
    try {
      files.set(path, await Deno.readTextFile(join(root, path)));
    } catch (error) {
      // Deleted in the working tree but still in the index.
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return files;
}

if (import.meta.main) {
  const root = relative(Deno.cwd(), join(import.meta.dirname!, "..")) || ".";
  const violations = findLayerViolations(await readTree(root));
  for (const { file, target, reason } of violations) {
    print(`${file} imports ${target}: ${reason}`, "stderr");
  }
  if (violations.length > 0) Deno.exit(1);
}
