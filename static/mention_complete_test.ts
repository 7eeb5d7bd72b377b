import assert from "node:assert/strict";
import {
  insertMention,
  mentionAt,
  mentionCandidates,
} from "./mention_complete.js";

Deno.test("mentionAt() finds the @word being typed at the caret", () => {
  assert.deepEqual(mentionAt("@", 1), { start: 0, query: "" });
  assert.deepEqual(mentionAt("hi @Ad", 6), { start: 3, query: "Ad" });
  assert.deepEqual(mentionAt("hi @Ad there", 6), { start: 3, query: "Ad" });
  assert.deepEqual(mentionAt("line\n@b", 7), { start: 5, query: "b" });
  assert.equal(mentionAt("mail@example", 12), null);
  assert.equal(mentionAt("@Ada done", 9), null);
  assert.equal(mentionAt("no at", 5), null);
});

Deno.test("mentionCandidates() puts names that start with the query first, then later words", () => {
  const names = ["Bo", "Ada Lovelace", "Grace Hopper", "ada", "Bo"];
  assert.deepEqual(mentionCandidates(names, "ad"), ["Ada Lovelace", "ada"]);
  assert.deepEqual(mentionCandidates(names, "HOP"), ["Grace Hopper"]);
  assert.deepEqual(mentionCandidates(names, "lo"), ["Ada Lovelace"]);
  assert.deepEqual(mentionCandidates(names, ""), [
    "Bo",
    "Ada Lovelace",
    "Grace Hopper",
    "ada",
  ]);
  assert.deepEqual(mentionCandidates(names, "z"), []);
  const many = Array.from({ length: 10 }, (_, i) => `user${i}`);
  assert.equal(mentionCandidates(many, "user").length, 6);
});

Deno.test("insertMention() puts the name and one space in place of what was typed", () => {
  assert.deepEqual(
    insertMention("hi @ad", { start: 3, caret: 6, name: "Ada Lovelace" }),
    { text: "hi @Ada Lovelace ", caret: 17 },
  );
  assert.deepEqual(
    insertMention("@b how are you", { start: 0, caret: 2, name: "Bo" }),
    { text: "@Bo how are you", caret: 4 },
  );
});
