import assert from "node:assert/strict";
import { TokenVerifier } from "../auth/tokens.ts";

const TOKEN_TOOL = new URL("./token.ts", import.meta.url).pathname;
const SECRET = "a local secret of at least thirty-two bytes";

async function runTool(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-env", TOKEN_TOOL, ...args],
    env,
    clearEnv: true,
  }).output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout).trim(),
    stderr: decoder.decode(stderr),
  };
}

Deno.test("deno task token prints a token the server accepts", async () => {
  const { code, stdout } = await runTool(
    [
      "--sub",
      "ada",
      "--name",
      "Ada",
      "--rooms",
      "private-team,private-eng-*",
      "--role",
      "moderator",
      "--ttl",
      "120",
    ],
    { CHAT_AUTH_SECRET: SECRET, CHAT_AUTH_ISSUER: "https://app.example" },
  );
  assert.equal(code, 0);
  const verifier = await TokenVerifier.create({
    secret: SECRET,
    issuer: "https://app.example",
  });
  const verified = await verifier.verify(stdout);
  assert.equal(verified.userId, "ada");
  assert.equal(verified.name, "Ada");
  assert.equal(verified.role, "moderator");
  assert.deepEqual(verified.rooms, ["private-team", "private-eng-*"]);
  const ttl = (verified.expiresAt! - Date.now()) / 1000;
  assert(ttl > 100 && ttl <= 120, `expires in ${ttl} s`);
});

Deno.test("deno task token says what is missing", async () => {
  const noSecret = await runTool(["--sub", "ada"], {});
  assert.equal(noSecret.code, 2);
  assert.match(noSecret.stderr, /set CHAT_AUTH_SECRET/);
  const noSub = await runTool([], { CHAT_AUTH_SECRET: SECRET });
  assert.equal(noSub.code, 2);
  assert.match(noSub.stderr, /--sub is required/);
  const badRole = await runTool(["--sub", "a", "--role", "owner"], {
    CHAT_AUTH_SECRET: SECRET,
  });
  assert.match(badRole.stderr, /--role must be one of/);
});
