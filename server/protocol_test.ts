import assert from "node:assert/strict";
import {
  batchFrame,
  decodeClientFrame,
  normalizeName,
  parseClientMessage,
  ProtocolError,
  validateText,
} from "./protocol.ts";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw error;
  }
  return undefined;
}

Deno.test("parseClientMessage() accepts each request type", () => {
  assert.deepEqual(parseClientMessage({ type: "send", text: "hi" }), {
    type: "send",
    room: "general",
    text: "hi",
  });
  assert.deepEqual(parseClientMessage({ type: "set_name", name: " Ada " }), {
    type: "set_name",
    name: "Ada",
  });
  assert.deepEqual(parseClientMessage({ type: "ping", nonce: "x" }), {
    type: "ping",
    nonce: "x",
  });
});

Deno.test("parseClientMessage() rejects wrong shapes with bad_request", () => {
  for (
    const data of [null, 1, "send", [], { type: "send" }, { type: 1 }, {
      type: "send",
      text: "x",
      nonce: 5,
    }, { type: "send", text: "x", nonce: "n".repeat(65) }]
  ) {
    assert.equal(codeOf(() => parseClientMessage(data)), "bad_request");
  }
});

Deno.test("parseClientMessage() takes a join's epoch only with since", () => {
  assert.deepEqual(
    parseClientMessage({ type: "join", room: "Dev", since: 4, epoch: "e1" }),
    { type: "join", room: "dev", since: 4, epoch: "e1" },
  );
  for (
    const data of [
      { type: "join", room: "dev", epoch: "e1" },
      { type: "join", room: "dev", since: 4, epoch: "" },
      { type: "join", room: "dev", since: 4, epoch: 7 },
      { type: "join", room: "dev", since: 4, epoch: "e".repeat(65) },
    ]
  ) {
    assert.equal(codeOf(() => parseClientMessage(data)), "bad_request");
  }
});

Deno.test("parseClientMessage() carries the nonce into the error", () => {
  try {
    parseClientMessage({ type: "send", text: "", nonce: "n1" });
    assert.fail("expected an error");
  } catch (error) {
    assert(error instanceof ProtocolError);
    assert.equal(error.nonce, "n1");
  }
});

Deno.test("decodeClientFrame() answers unparsable and deeply nested JSON with bad_json or bad_request", () => {
  assert.equal(codeOf(() => decodeClientFrame("{")), "bad_json");
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  assert.match(
    codeOf(() => decodeClientFrame(deep)) ?? "",
    /bad_json|bad_request/,
  );
});

Deno.test("validateText() enforces size in UTF-8 bytes and forbids controls", () => {
  assert.equal(validateText("héllo\n\tworld", 64), "héllo\n\tworld");
  assert.equal(
    codeOf(() => validateText("é".repeat(3), 5)),
    "message_too_large",
  );
  assert.equal(codeOf(() => validateText("a\u0007", 64)), "bad_request");
  assert.equal(codeOf(() => validateText("\ud800", 64)), "bad_request");
  assert.equal(codeOf(() => validateText(" \n ", 64)), "bad_request");
});

Deno.test("normalizeName() applies NFC and trims, and rejects invisible characters", () => {
  assert.equal(normalizeName("  e\u0301  "), "\u00e9");
  assert.equal(normalizeName("👩‍💻 dev"), "👩‍💻 dev");
  assert.equal(normalizeName("😀".repeat(32)), "😀".repeat(32));
  for (
    const bad of [
      "",
      "   ",
      "a\u200bb",
      "a\u202eb",
      "a\u0000",
      "x".repeat(33),
      7,
    ]
  ) {
    assert.equal(codeOf(() => normalizeName(bad)), "invalid_name");
  }
});

Deno.test("batchFrame() keeps one event as is and joins several into an array", () => {
  assert.equal(batchFrame(['{"a":1}']), '{"a":1}');
  assert.deepEqual(JSON.parse(batchFrame(['{"a":1}', '{"b":2}'])), [{ a: 1 }, {
    b: 2,
  }]);
});
