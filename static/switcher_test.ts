import assert from "node:assert/strict";
import { switcherOptions } from "./switcher.js";

const rooms = [
  { name: "general", label: "#general" },
  { name: "dev", label: "#dev" },
  { name: "design", label: "#design" },
  { name: "dm:ada:bo", label: "@Bo" },
];

function labels(query: string): string[] {
  return switcherOptions(rooms, query).map((option) => option.label);
}

Deno.test("switcherOptions() keeps the rooms whose name holds the query, in order", () => {
  assert.deepEqual(labels(""), ["#general", "#dev", "#design", "@Bo"]);
  assert.deepEqual(labels("DE"), ["#dev", "#design", "Join #de"]);
  assert.deepEqual(labels("#des"), ["#design", "Join #des"]);
  assert.deepEqual(labels("@bo"), ["@Bo", "Join #bo"]);
});

Deno.test("switcherOptions() offers to join a valid room name not in the list, and nothing for an invalid one", () => {
  assert.deepEqual(switcherOptions(rooms, "Ops"), [
    { name: "ops", label: "Join #ops", join: true },
  ]);
  assert.deepEqual(labels("dev"), ["#dev"]);
  assert.deepEqual(labels("no such room"), []);
});
