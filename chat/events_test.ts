import assert from "node:assert/strict";
import { utf8Length } from "./events.ts";

Deno.test("utf8Length() counts bytes, not UTF-16 units", () => {
  assert.equal(utf8Length("abc"), 3);
  assert.equal(utf8Length("é"), 2);
  assert.equal(utf8Length("😀"), 4);
});
