import assert from "node:assert/strict";
import { waitFor } from "../testing/async.ts";
import { spawnServer, taskPermissions } from "../testing/server_process.ts";
import { VECTORED_WRITES_VARIABLE } from "./vectored_writes.ts";

/**
 * This process's environment with the variable set to `value`, or without
 * it for `undefined`, for a child started with `clearEnv`.
 */
function environmentWith(value: string | undefined): Record<string, string> {
  const env = Deno.env.toObject();
  delete env[VECTORED_WRITES_VARIABLE];
  if (value !== undefined) env[VECTORED_WRITES_VARIABLE] = value;
  return env;
}

/** The `vectored` field of `main.ts`'s `server.frames` log line. */
async function framesVectored(
  value: string | undefined,
  permissions?: string[],
): Promise<boolean> {
  await using child = await spawnServer([], {
    env: environmentWith(value),
    clearEnv: true,
    permissions: permissions ?? await taskPermissions("start"),
  });
  const line = () =>
    child.stderr().split("\n").find((text) =>
      text.includes('"event":"server.frames"')
    );
  await waitFor(() => line() !== undefined, "the server.frames log line");
  return JSON.parse(line()!).vectored;
}

Deno.test("main.ts under deno task start writes frames vectored unless DENO_USE_WRITEV is set otherwise", async (t) => {
  await t.step("unset: turned on", async () => {
    assert.equal(await framesVectored(undefined), true);
  });
  await t.step("empty: left off, as the operator chose", async () => {
    assert.equal(await framesVectored(""), false);
  });
  await t.step("set: left on", async () => {
    assert.equal(await framesVectored("yes"), true);
  });
  await t.step(
    "not allowed to set it: Deno's default, and the server serves",
    async () => {
      const withoutVariable = (await taskPermissions("start")).map((flag) =>
        flag.replace(`,${VECTORED_WRITES_VARIABLE}`, "")
      );
      assert.notDeepEqual(withoutVariable, await taskPermissions("start"));
      assert.equal(await framesVectored(undefined, withoutVariable), false);
    },
  );
});

Deno.test("preferVectoredWrites sets the variable Deno reads, and keeps an operator's value", async () => {
  const module = new URL("./vectored_writes.ts", import.meta.url).href;
  const script = `import { preferVectoredWrites } from "${module}";
const vectored = preferVectoredWrites();
console.log(JSON.stringify({ vectored, value: Deno.env.get("${VECTORED_WRITES_VARIABLE}") ?? null }));`;
  const run = async (value: string | undefined) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      env: environmentWith(value),
      clearEnv: true,
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert(output.success, stderr);
    return JSON.parse(new TextDecoder().decode(output.stdout));
  };
  assert.deepEqual(await run(undefined), { vectored: true, value: "1" });
  assert.deepEqual(await run(""), { vectored: false, value: "" });
});
