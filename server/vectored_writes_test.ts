import assert from "node:assert/strict";
import { waitFor } from "../testing/async.ts";
import { spawnServer, taskPermissions } from "../testing/server_process.ts";
import {
  preferVectoredWrites,
  VECTORED_WRITES_VARIABLE,
} from "./vectored_writes.ts";

/** The `vectored` field of the child's `server.frames` log line. */
async function framesVectored(env: Record<string, string>): Promise<boolean> {
  await using child = await spawnServer([], {
    env,
    permissions: await taskPermissions("start"),
  });
  const line = () =>
    child.stderr().split("\n").find((text) =>
      text.includes('"event":"server.frames"')
    );
  await waitFor(() => line() !== undefined, "the server.frames log line");
  return JSON.parse(line()!).vectored;
}

Deno.test("main.ts under deno task start writes frames vectored unless DENO_USE_WRITEV is set otherwise", async (t) => {
  assert.equal(
    Deno.env.get(VECTORED_WRITES_VARIABLE),
    undefined,
    `unset ${VECTORED_WRITES_VARIABLE} to run this test`,
  );
  await t.step("unset: turned on", async () => {
    assert.equal(await framesVectored({}), true);
  });
  await t.step("empty: left off, as the operator chose", async () => {
    assert.equal(
      await framesVectored({ [VECTORED_WRITES_VARIABLE]: "" }),
      false,
    );
  });
  await t.step("set: left on", async () => {
    assert.equal(
      await framesVectored({ [VECTORED_WRITES_VARIABLE]: "yes" }),
      true,
    );
  });
});

Deno.test("preferVectoredWrites sets the variable Deno reads, and keeps an operator's value", () => {
  const before = Deno.env.get(VECTORED_WRITES_VARIABLE);
  try {
    Deno.env.delete(VECTORED_WRITES_VARIABLE);
    assert.equal(preferVectoredWrites(), true);
    assert.equal(Deno.env.get(VECTORED_WRITES_VARIABLE), "1");
    Deno.env.set(VECTORED_WRITES_VARIABLE, "");
    assert.equal(preferVectoredWrites(), false);
    assert.equal(Deno.env.get(VECTORED_WRITES_VARIABLE), "");
  } finally {
    if (before === undefined) Deno.env.delete(VECTORED_WRITES_VARIABLE);
    else Deno.env.set(VECTORED_WRITES_VARIABLE, before);
  }
});
