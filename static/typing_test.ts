import assert from "node:assert/strict";
import { typingLine, TypingUsers } from "./typing.js";

const ada = { id: "ada", name: "Ada" };
const bo = { id: "bo", name: "Bo" };

Deno.test("TypingUsers.names() drops a user once the timeout passes without another event", () => {
  const typing = new TypingUsers(5000);
  typing.typed(ada, 1000);
  assert.deepEqual(typing.names(5999), ["Ada"]);
  assert.equal(typing.nextChange(), 6000);
  assert.deepEqual(typing.names(6000), []);
  assert.equal(typing.nextChange(), null);
});

Deno.test("TypingUsers.typed() again extends the user's time and keeps the others' order", () => {
  const typing = new TypingUsers(5000);
  typing.typed(ada, 0);
  typing.typed(bo, 1000);
  typing.typed(ada, 4000);
  assert.deepEqual(typing.names(5500), ["Bo", "Ada"]);
  assert.equal(typing.nextChange(), 6000);
  assert.deepEqual(typing.names(6000), ["Ada"]);
});

Deno.test("TypingUsers.stopped() removes the user at once, as when their message arrives", () => {
  const typing = new TypingUsers(5000);
  typing.typed(ada, 0);
  typing.typed(bo, 0);
  assert.equal(typing.stopped("ada"), true);
  assert.equal(typing.stopped("ada"), false);
  assert.equal(typing.stopped(undefined), false);
  assert.deepEqual(typing.names(1), ["Bo"]);
});

Deno.test("typingLine() names up to three typists, then says several", () => {
  assert.equal(typingLine([]), "");
  assert.equal(typingLine(["Ada"]), "Ada is typing…");
  assert.equal(typingLine(["Ada", "Bo"]), "Ada and Bo are typing…");
  assert.equal(typingLine(["Ada", "Bo", "Cy"]), "Ada, Bo and Cy are typing…");
  assert.equal(
    typingLine(["Ada", "Bo", "Cy", "Dee"]),
    "Several people are typing…",
  );
});
