import assert from "node:assert/strict";
import { notificationBody, shouldNotify, titleFor } from "./attention.js";

Deno.test("titleFor() puts the unread count first, up to 99+", () => {
  assert.equal(titleFor("#general", 0), "#general · Chat");
  assert.equal(titleFor("#general", 3), "(3) #general · Chat");
  assert.equal(titleFor("@Bo", 120), "(99+) @Bo · Chat");
});

Deno.test("shouldNotify() notifies of mentions and direct messages only while hidden, not muted, and turned on", () => {
  const base = {
    enabled: true,
    hidden: true,
    muted: false,
    own: false,
    mention: true,
    direct: false,
  };
  assert.equal(shouldNotify(base), true);
  assert.equal(shouldNotify({ ...base, mention: false, direct: true }), true);
  assert.equal(shouldNotify({ ...base, mention: false }), false);
  assert.equal(shouldNotify({ ...base, hidden: false }), false);
  assert.equal(shouldNotify({ ...base, muted: true }), false);
  assert.equal(shouldNotify({ ...base, enabled: false }), false);
  assert.equal(shouldNotify({ ...base, own: true }), false);
});

Deno.test("notificationBody() puts the text on one line and cuts it short", () => {
  assert.equal(notificationBody("  hi\n\nthere "), "hi there");
  const long = notificationBody("x".repeat(500));
  assert.equal(long.length, 140);
  assert(long.endsWith("…"));
});
