/// <reference lib="dom" />
import assert from "node:assert/strict";
import { connectJson } from "../testing/client.ts";
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

      await server[Symbol.asyncDispose]();
      server = undefined;
      await page.waitForSelector('#status[data-state="reconnecting"]');
      await sendMessage(page, "typed while offline");
      await page.waitForSelector("#pending .message.pending");

      server = await spawnServer(["--port", port, "--kv-path", kvPath]);
      const { client: bo } = await connectJson(`${wsUrl}?name=Bo`);
      await using _bo = bo;
      for (const text of ["missed 1", "missed 2", "missed 3"]) {
        bo.sendJson({ type: "send", room: "general", text });
        await bo.nextOfType("message");
      }

      await page.waitForSelector('#status[data-state="open"]');
      await waitForMessage(page, "missed 3");
      await waitForMessage(page, "typed while offline");
      await page.waitForSelector("#pending .message", { hidden: true });
      const texts = await messageTexts(page);
      for (
        const text of [
          "before the restart",
          "missed 1",
          "missed 2",
          "missed 3",
          "typed while offline",
        ]
      ) {
        assert.equal(
          texts.filter((shown) => shown === text).length,
          1,
          `"${text}" is shown once in ${JSON.stringify(texts)}`,
        );
      }
      const delivered = await bo.nextOfType("message");
      assert.equal(delivered.text, "typed while offline");

      // The server stored the offline message exactly once.
      const { joined } = await connectJson(`${wsUrl}?name=Cy`).then(
        async ({ client, joined }) => {
          await client[Symbol.asyncDispose]();
          return { joined };
        },
      );
      const stored = joined[0]!.messages.map((message) => message.text);
      assert.equal(
        stored.filter((text) => text === "typed while offline").length,
        1,
      );
      assert.deepEqual(
        errors.filter((error) => !error.includes("WebSocket")),
        [],
      );
    } finally {
      await server?.[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
