import assert from "node:assert/strict";
import { directoryRows } from "./directory.js";

const NOW = Date.parse("2026-01-01T12:00:00Z");
const ROOMS = [
  { name: "general", memberCount: 12, lastActivity: NOW - 5 * 60_000 },
  { name: "dev", memberCount: 1, lastActivity: null },
  { name: "design", memberCount: 3, lastActivity: NOW - 10_000 },
];

Deno.test("directoryRows() words each room's members and activity, in the server's order, and says which are joined", () => {
  const rows = directoryRows(ROOMS, {
    joined: (name) => name === "general",
    now: NOW,
  });
  assert.deepEqual(rows, [
    {
      name: "general",
      members: "12 members",
      activity: "Active 5 min ago",
      joined: true,
    },
    {
      name: "dev",
      members: "1 member",
      activity: "No messages yet",
      joined: false,
    },
    {
      name: "design",
      members: "3 members",
      activity: "Active just now",
      joined: false,
    },
  ]);
});

Deno.test("directoryRows() keeps the rooms whose name holds the filter", () => {
  const names = (filter: string) =>
    directoryRows(ROOMS, { joined: () => false, filter, now: NOW })
      .map((row) => row.name);
  assert.deepEqual(names(" #DE"), ["dev", "design"]);
  assert.deepEqual(names("sign"), ["design"]);
  assert.deepEqual(names("zzz"), []);
});
