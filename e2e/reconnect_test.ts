/// <reference lib="dom" />
import assert from "node:assert/strict";
import type { ConsoleMessage } from "puppeteer-core";
import { withTimeout } from "../testing/async.ts";
import { connectJson, sendAndAck, texts } from "../testing/client.ts";
import { type ServerProcess, spawnServer } from "../testing/server_process.ts";
import {
  browserTest,
  launchBrowser,
  messageTexts,
  sendMessage,
  waitForMessage,
} from "./_browser.ts";

browserTest(
  "UI reconnects after a server restart and shows every message once",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "chat_e2e_kv_" });
    const kvPath = `${dir}/chat.db`;
    let server: ServerProcess | undefined = await spawnServer([
      "--kv-path",
      kvPath,
    ]);
    try {
      const origin = server.url;
      const port = new URL(origin).port;
      const wsUrl = `ws://127.0.0.1:${port}/ws`;
      await using browser = await launchBrowser();
      const { page, errors } = await browser.openChat(origin, { name: "Ada" });
      await sendMessage(page, "before the restart");
      await waitForMessage(page, "before the restart");

      // While the server is down, each attempt to reconnect fails, and
      // Chromium logs that as an error: the one error the page may show.
      const refused = new RegExp(
        `^WebSocket connection to 'ws://127\\.0\\.0\\.1:${port}/ws\\?name=Ada' ` +
          "failed: Error in connection establishment: " +
          "net::ERR_CONNECTION_REFUSED$",
      );
      const attemptFailed = Promise.withResolvers<void>();
      const onConsole = (message: ConsoleMessage) => {
        if (refused.test(message.text())) attemptFailed.resolve();
      };
      page.on("console", onConsole);
      await server[Symbol.asyncDispose]();
      server = undefined;
      await page.waitForSelector('#status[data-state="reconnecting"]');
      await withTimeout(attemptFailed.promise, "a refused reconnect");
      page.off("console", onConsole);
      await sendMessage(page, "typed while offline");
      await page.waitForSelector("#pending .message.pending");

      server = await spawnServer(["--port", port, "--kv-path", kvPath]);
      const { client: bo } = await connectJson(`${wsUrl}?name=Bo`);
      await using _bo = bo;
      const watcher = await connectJson(`${wsUrl}?name=Dee`);
      await using _watcher = watcher.client;
      // The page may be back before these: each waits for its own ack.
      for (const text of ["missed 1", "missed 2", "missed 3"]) {
        await sendAndAck(bo, "general", text, text);
      }

      await page.waitForSelector('#status[data-state="open"]');
      await waitForMessage(page, "missed 3");
      await waitForMessage(page, "typed while offline");
      await page.waitForSelector("#pending .message", { hidden: true });
      const shown = await messageTexts(page);
      // Another member got every message once, live or in its join's
      // history, up to Bo's last.
      await sendAndAck(bo, "general", "end", "end");
      const seen = texts(watcher.joined[0]!);
      while (seen.at(-1) !== "end") {
        seen.push((await watcher.client.nextOfType("message")).text);
      }
      const everyMessage = [
        "before the restart",
        "missed 1",
        "missed 2",
        "missed 3",
        "typed while offline",
      ];
      assert.deepEqual(seen.slice(0, -1).sort(), everyMessage);
      assert.deepEqual([...shown].sort(), everyMessage, "shown on the page");

      // The server stored each of them once.
      const late = await connectJson(`${wsUrl}?name=Cy`);
      await late.client[Symbol.asyncDispose]();
      const stored = texts(late.joined[0]!);
      assert.deepEqual(stored.sort(), [...everyMessage, "end"].sort());

      assert.deepEqual(errors.filter((error) => !refused.test(error)), []);
    } finally {
      await server?.[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
