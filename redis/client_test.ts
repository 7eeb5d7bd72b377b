import assert from "node:assert/strict";
import { createClient } from "redis";
import { SKIP_REDIS, startRedis } from "../testing/redis.ts";
import { type RedisClient, runScript } from "./client.ts";

/** How many times Redis ran `command` since its stats were reset. */
async function calls(client: RedisClient, command: string): Promise<number> {
  const stats = String(await client.sendCommand(["INFO", "commandstats"]));
  return Number(
    new RegExp(`^cmdstat_${command}:calls=(\\d+)`, "m").exec(stats)?.[1] ?? 0,
  );
}

Deno.test({
  name: "runScript() sends a script's text once, then only its hash",
  ignore: SKIP_REDIS,
  async fn() {
    await using redis = await startRedis();
    const client: RedisClient = await createClient({ url: redis.url })
      .connect();
    try {
      const script = "return {KEYS[1], ARGV[1]}";
      for (let i = 0; i < 3; i++) {
        const reply = await runScript(client, script, {
          keys: ["k"],
          arguments: [String(i)],
        });
        assert.deepEqual(reply, ["k", String(i)]);
      }
      assert.equal(await calls(client, "eval"), 1);
      assert.equal(await calls(client, "evalsha"), 3);
    } finally {
      client.destroy();
    }
  },
});
