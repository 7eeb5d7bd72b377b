/// <reference lib="dom" />
import assert from "node:assert/strict";
import { connectJson } from "../testing/client.ts";
import { startServer } from "../testing/server.ts";
import { browserTest, launchBrowser, waitForMessage } from "./_browser.ts";

/** message_list.js MAX_RENDERED: the most messages kept in the DOM. */
const MAX_RENDERED = 300;

browserTest(
  "UI counts each message that arrives while scrolled up once, with the window full",
  async () => {
    await using server = startServer({
      rateLimit: 1_000_000,
      rateBurst: 1_000_000,
    });
    const { client: bo } = await connectJson(`${server.wsUrl}?name=Bo`);
    await using _bo = bo;
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
    });
    const say = (text: string) =>
      bo.sendJson({ type: "send", room: "general", text });
    for (let i = 1; i <= 350; i++) say(`message ${i}`);
    await waitForMessage(page, "message 350");

    // Scroll to the top until the window holds its most, oldest first.
    const firstShown = () =>
      page.$eval("#messages .message .body", (body) => body.textContent);
    while (await firstShown() !== "message 1") {
      const before = await firstShown();
      await page.$eval("#scroller", (scroller) => scroller.scrollTop = 0);
      await page.waitForFunction(
        (previous) =>
          document.querySelector("#messages .message .body")?.textContent !==
            previous,
        {},
        before,
      );
    }
    assert.equal(
      await page.$$eval("#messages .message", (items) => items.length),
      MAX_RENDERED,
    );

    for (let i = 1; i <= 5; i++) say(`new ${i}`);
    const jump = await page.waitForFunction(() => {
      const text = document.querySelector("#jump")?.textContent ?? "";
      const count = Number(text.match(/^(\d+) new/)?.[1] ?? 0);
      return count >= 5 && text;
    });
    assert.equal(String(await jump.jsonValue()).trim(), "5 new messages ↓");
    await page.click("#jump");
    await waitForMessage(page, "new 5");
    assert.deepEqual(errors, []);
  },
);
