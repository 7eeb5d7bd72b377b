/// <reference lib="dom" />
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { ChatClient } from "../client/mod.ts";
import { startServer, type TestServer } from "../testing/server.ts";
import { TcpProxy } from "../testing/tcp_proxy.ts";
import {
  browserTest,
  launchBrowser,
  messageTexts,
  sendMessage,
  waitForConnected,
  waitForMessage,
} from "./_browser.ts";

/** The texts the server has stored in `general`, read by a client of its own. */
async function storedTexts(server: TestServer): Promise<string[]> {
  await using reader = new ChatClient(server.wsUrl, { name: "Reader" });
  const room = reader.join("general");
  const texts: string[] = [];
  room.on("message", (message) => texts.push(message.text));
  await room.ready;
  return texts;
}

/** Takes the page offline (the `offline` event fires) and types `text`. */
async function typeOffline(page: Page, text: string): Promise<void> {
  await page.setOfflineMode(true);
  await page.waitForFunction(() => !navigator.onLine);
  await sendMessage(page, text);
  await page.waitForSelector("#pending .message.pending");
}

browserTest(
  "UI stays connected through an offline spell and sends what was typed in it",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
    });
    await typeOffline(page, "typed offline");
    await page.setOfflineMode(false);
    await waitForMessage(page, "typed offline");
    await page.waitForSelector("#pending .message", { hidden: true });
    assert.equal(
      await page.$eval("#status", (node) => node.getAttribute("data-state")),
      "open",
    );
    assert.equal(
      await page.$eval("#status-text", (node) => node.textContent),
      "Connected",
    );
    assert.deepEqual(await storedTexts(server), ["typed offline"]);
    assert.deepEqual(errors, []);
  },
);

/** Cuts the page's network (a real socket drop) and types `text`. */
async function typeWithoutNetwork(
  page: Page,
  proxy: TcpProxy,
  text: string,
): Promise<void> {
  proxy.refuse(true);
  proxy.cut();
  await page.waitForSelector('#status[data-state="reconnecting"]');
  await sendMessage(page, text);
  await page.waitForSelector("#pending .message.pending");
}

browserTest(
  "UI delivers a message typed offline once, after a reload and back online",
  async () => {
    await using server = startServer();
    await using proxy = new TcpProxy(server.port);
    const origin = `http://127.0.0.1:${proxy.port}`;
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(origin, { name: "Ada" });
    await typeWithoutNetwork(page, proxy, "typed before the reload");
    // Without a network the reload ends on the browser's error page: the
    // message lives only in localStorage now.
    await page.reload();
    assert.deepEqual(await storedTexts(server), []);

    proxy.refuse(false);
    await page.goto(origin);
    await waitForConnected(page);
    await waitForMessage(page, "typed before the reload");
    await page.waitForSelector("#pending .message", { hidden: true });
    assert.deepEqual(await messageTexts(page), ["typed before the reload"]);
    assert.deepEqual(await storedTexts(server), ["typed before the reload"]);
    // The test's own script that stores the name before each load fails on
    // the error page, which has no localStorage; the chat itself raised none.
    assert.deepEqual(
      errors.filter((error) =>
        !error.includes("Access is denied") && !error.includes("WebSocket")
      ),
      [],
    );
  },
);

browserTest(
  "UI delivers a message typed offline once, from the next tab after the first was closed",
  async () => {
    await using server = startServer();
    await using proxy = new TcpProxy(server.port);
    const origin = `http://127.0.0.1:${proxy.port}`;
    await using browser = await launchBrowser();
    const { page } = await browser.openChat(origin, { name: "Ada" });
    await typeWithoutNetwork(page, proxy, "typed in a closed tab");
    const context = page.browserContext();
    await page.close();
    assert.deepEqual(await storedTexts(server), []);

    proxy.refuse(false);
    const next = await context.newPage();
    await next.goto(origin);
    await waitForConnected(next);
    await waitForMessage(next, "typed in a closed tab");
    await next.waitForSelector("#pending .message", { hidden: true });
    assert.deepEqual(await storedTexts(server), ["typed in a closed tab"]);
  },
);
