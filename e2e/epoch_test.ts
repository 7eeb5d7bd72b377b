/// <reference lib="dom" />
import assert from "node:assert/strict";
import { ChatClient } from "../client/mod.ts";
import { SKIP_REDIS, startRedis } from "../testing/redis.ts";
import { type ServerProcess, spawnServer } from "../testing/server_process.ts";
import {
  browserTest,
  launchBrowser,
  messageTexts,
  waitForMessage,
} from "./_browser.ts";

browserTest(
  "UI starts a room over when Redis restarts empty, live and on reconnect, showing each message once",
  async () => {
    if (SKIP_REDIS) return;
    await using redis = await startRedis();
    const args = ["--redis-url", redis.url];
    let ui: ServerProcess | undefined = await spawnServer(args);
    await using other = await spawnServer(args);
    try {
      const port = new URL(ui.url).port;
      await using browser = await launchBrowser();
      const { page, errors } = await browser.openChat(ui.url, { name: "Ada" });
      // Bo's client sends each message again while Redis is down.
      await using bo = new ChatClient(`${other.url}ws`, { name: "Bo" });
      const room = bo.join("general");
      const send = async (texts: string[]) => {
        for (const text of texts) await room.send(text);
      };
      const shows = async (texts: string[]) => {
        await waitForMessage(page, texts.at(-1)!);
        assert.deepEqual(await messageTexts(page), texts);
      };

      await send(["old 1", "old 2", "old 3"]);
      await shows(["old 1", "old 2", "old 3"]);

      // Live: ids start again at 1 under a new epoch, and the page drops
      // what it had rather than taking new 1 and 2 for old ones.
      await redis.kill();
      await redis.restart();
      await send(["new 1", "new 2"]);
      await shows(["new 1", "new 2"]);
      await page.waitForSelector("#notice:not([hidden])");

      // On reconnect: the page resumes with since 2 of an epoch that is
      // gone again; since alone would skip the new 1 and 2.
      await ui[Symbol.asyncDispose]();
      ui = undefined;
      await page.waitForSelector('#status[data-state="reconnecting"]');
      await redis.kill();
      await redis.restart();
      await send(["newer 1", "newer 2", "newer 3"]);
      ui = await spawnServer([...args, "--port", port]);
      await page.waitForSelector('#status[data-state="open"]');
      await shows(["newer 1", "newer 2", "newer 3"]);
      assert.deepEqual(
        errors.filter((error) => !error.includes("WebSocket")),
        [],
      );
    } finally {
      await ui?.[Symbol.asyncDispose]();
    }
  },
);
