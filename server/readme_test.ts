import assert from "node:assert/strict";
import { formatDefault } from "./help_text.ts";
import { SETTINGS } from "./settings.ts";

const README = new URL("../README.md", import.meta.url);

/** The rows of the markdown table in the README's "## Configuration" section. */
function configurationRows(markdown: string): string[][] {
  const start = markdown.search(/^## Configuration\s*$/m);
  assert(start >= 0, 'README.md has no "## Configuration" section');
  const rest = markdown.slice(start).split("\n").slice(1);
  const end = rest.findIndex((line) => /^#{1,2} /.test(line));
  const section = end < 0 ? rest : rest.slice(0, end);
  const rows = section.filter((line) => line.trimStart().startsWith("|"))
    .map((line) =>
      line.trim().replace(/^\||\|$/g, "").split("|").map((cell) => cell.trim())
    );
  assert.deepEqual(rows[0], ["Variable", "Flag", "Default", "Meaning"]);
  assert.match(rows[1]?.join("") ?? "", /^[-:\s]+$/, "no separator row");
  return rows.slice(2);
}

function unquote(cell: string): string {
  return cell.replace(/^`(.*)`$/, "$1");
}

Deno.test("README.md configuration table matches SETTINGS", async () => {
  const rows = configurationRows(await Deno.readTextFile(README));
  const byVariable = new Map(rows.map((row) => [unquote(row[0] ?? ""), row]));
  for (const setting of SETTINGS) {
    const row = byVariable.get(setting.env);
    assert(row, `README.md does not list ${setting.env}`);
    assert.equal(unquote(row[1] ?? ""), `--${setting.flag}`, setting.env);
    assert.equal(
      unquote(row[2] ?? ""),
      formatDefault(setting.defaultValue),
      `default of ${setting.env}`,
    );
    assert.notEqual(row[3] ?? "", "", `meaning of ${setting.env}`);
  }
  const known = new Set(SETTINGS.map((setting) => setting.env));
  const extra = [...byVariable.keys()].filter((name) => !known.has(name));
  assert.deepEqual(extra, [], "README.md lists settings that do not exist");
});
