import assert from "node:assert/strict";
import { lastEditable, messageActions } from "./message_actions.js";

const NOW = 1_000_000_000;
const member = { id: "ada", role: "member", editWindow: 900 };
const moderator = { id: "mo", role: "moderator", editWindow: 900 };

function message(userId: string, ageMs: number, extra = {}) {
  return { id: 7, ts: NOW - ageMs, userId, ...extra };
}

Deno.test("messageActions() lets authors edit and delete their own messages within the edit window only", () => {
  assert.deepEqual(messageActions(message("ada", 899_999), member, NOW), [
    "edit",
    "delete",
  ]);
  assert.deepEqual(messageActions(message("ada", 900_000), member, NOW), []);
  assert.deepEqual(
    messageActions(message("ada", 9e9), { ...member, editWindow: 0 }, NOW),
    ["edit", "delete"],
  );
});

Deno.test("messageActions() gives members nothing on other people's messages", () => {
  assert.deepEqual(messageActions(message("bo", 0), member, NOW), []);
  assert.deepEqual(messageActions({ id: 1, ts: NOW }, member, NOW), []);
});

Deno.test("messageActions() lets moderators delete any message, and ban or kick its author", () => {
  assert.deepEqual(messageActions(message("bo", 9e9), moderator, NOW), [
    "delete",
    "ban",
    "kick",
  ]);
  assert.deepEqual(
    messageActions(message("bo", 0), { ...moderator, role: "admin" }, NOW),
    ["delete", "ban", "kick"],
  );
  assert.deepEqual(messageActions(message("mo", 0), moderator, NOW), [
    "edit",
    "delete",
  ]);
  assert.deepEqual(messageActions(message("mo", 9e9), moderator, NOW), [
    "delete",
  ]);
  assert.deepEqual(
    messageActions(message("bot", 0, { bot: true as const }), moderator, NOW),
    ["delete"],
  );
});

Deno.test("messageActions() offers nothing on a deleted or pending message, or a join line", () => {
  assert.deepEqual(
    messageActions(
      message("ada", 0, { deleted: true as const }),
      moderator,
      NOW,
    ),
    [],
  );
  assert.deepEqual(messageActions({ ts: NOW, userId: "ada" }, member, NOW), []);
  assert.deepEqual(
    messageActions({ id: 7.5, ts: NOW, system: "joined" }, moderator, NOW),
    [],
  );
});

Deno.test("lastEditable() finds the viewer's newest message, if it may still be edited", () => {
  const messages = [
    { ...message("ada", 1000), id: 1 },
    { ...message("bo", 500), id: 2 },
  ];
  assert.equal(lastEditable(messages, member, NOW)?.id, 1);
  const later = [...messages, {
    ...message("ada", 0),
    id: 3,
    deleted: true as const,
  }];
  assert.equal(lastEditable(later, member, NOW), undefined);
  assert.equal(lastEditable(messages, member, NOW + 900_000), undefined);
  assert.equal(lastEditable([], member, NOW), undefined);
});
