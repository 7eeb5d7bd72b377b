import assert from "node:assert/strict";
import { helpText } from "./help_text.ts";
import { SETTINGS } from "./settings.ts";

Deno.test("helpText() aligns flags, variables and meanings in columns", () => {
  const lines = helpText().split("\n");
  const header = lines.find((line) => line.trimStart().startsWith("Flag"))!;
  const envColumn = header.indexOf("Variable");
  const meaningColumn = header.indexOf("Meaning");
  for (const setting of SETTINGS) {
    const line = lines.find((line) =>
      line.trimStart().startsWith(`--${setting.flag} `)
    );
    assert(line, `no line for --${setting.flag}`);
    assert.equal(line.indexOf(setting.env), envColumn, setting.env);
    assert.equal(
      line.indexOf(setting.description),
      meaningColumn,
      `meaning of ${setting.env}`,
    );
    assert.match(line.slice(0, envColumn), /\S {2,}$/, setting.flag);
  }
});
