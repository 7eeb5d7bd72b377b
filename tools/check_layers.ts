/**
 * Checks that imports run one way, down the layers: a module may import from
 * its own folder and from the layers below it, never from a layer above or
 * from a folder beside it, and never from the tools (tests, benchmark). A
 * file whose name starts with `_` is imported only from its own folder.
 *
 * Tests (`*_test.ts`) are the one exception to the direction: a test of a
 * lower layer may run against the real pieces above it (a real KV history, a
 * real server) rather than a stand-in.
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
  ["broker.ts"],
  ["chat/"],
  ["auth/"],
  ["kv/", "redis/"],
  ["server/"],
  ["main.ts"],
];

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

const IMPORT =
  /\b(?:from\s*|import\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g;

/** The relative specifiers `source` imports, doc examples included. */
function relativeImports(source: string): string[] {
  return [...source.matchAll(IMPORT)].map((match) => match[1]!);
}

/** The part of the tree `path` belongs to: its layer folder or root file. */
function unitOf(path: string): string {
  const slash = path.indexOf("/");
  return slash < 0 ? path : path.slice(0, slash + 1);
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
    for (const specifier of relativeImports(source)) {
      const target = normalize(join(dirname(file), specifier));
      const reason = ruleBroken(file, layer, isTest, target);
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
  if (targetName.startsWith("_") && dirname(target) !== dirname(file)) {
    return `"${target}" is private to its folder`;
  }
  if (layer < 0) return undefined; // A tool: it may use any part.
  if (TOOL_FOLDERS.includes(unitOf(target))) {
    return isTest ? undefined : "the product imports a tool";
  }
  const targetLayer = layerOf(target);
  if (targetLayer < 0 || isTest) return undefined;
  if (targetLayer > layer) return "imports a layer above its own";
  if (targetLayer === layer && unitOf(target) !== unitOf(file)) {
    return "imports a folder beside its own";
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
