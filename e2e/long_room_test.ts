/// <reference lib="dom" />
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { connectJson } from "../testing/client.ts";
import { startServer } from "../testing/server.ts";
import { browserTest, launchBrowser, waitForMessage } from "./_browser.ts";

const COUNT = 10_000;
/** message_list.js MAX_RENDERED: the most messages kept in the DOM. */
const MAX_RENDERED = 300;

function renderedCount(page: Page): Promise<number> {
  return page.$$eval("#messages .message", (nodes) => nodes.length);
}

async function scrollToTop(page: Page): Promise<void> {
  await page.$eval("#scroller", (scroller) => scroller.scrollTop = 0);
}

browserTest(
  "UI stays smooth with 10,000 messages and pages older history",
  async () => {
    await using server = startServer({
      rateLimit: 1_000_000,
      rateBurst: 1_000_000,
      maxQueueLength: 100_000,
    });
    const { client: bo } = await connectJson(`${server.wsUrl}?name=Bo`);
    await using _bo = bo;
    await using browser = await launchBrowser();
    const live = await browser.openChat(server.origin, { name: "Ada" });

    for (let i = 1; i <= COUNT; i++) {
      bo.sendJson({ type: "send", room: "general", text: `message ${i}` });
    }
    await waitForMessage(live.page, `message ${COUNT}`);
    assert(await renderedCount(live.page) <= MAX_RENDERED);

    // Scrolling up slides the window through the messages kept in memory.
    const first = () =>
      live.page.$eval("#messages .message .body", (body) => body.textContent);
    const before = await first();
    await scrollToTop(live.page);
    await live.page.waitForFunction(
      (previous) =>
        document.querySelector("#messages .message .body")?.textContent !==
          previous,
      {},
      before,
    );
    assert(await renderedCount(live.page) <= MAX_RENDERED);
    await live.page.waitForSelector("#jump:not([hidden])");
    await live.page.click("#jump");
    await live.page.waitForSelector("#jump", { hidden: true });
    assert.equal(
      await live.page.$eval(
        "#messages .message:last-child .body",
        (body) => body.textContent,
      ),
      `message ${COUNT}`,
    );

    // A page that joins later gets the latest page and asks for older ones.
    const late = await browser.openChat(server.origin, { name: "Cy" });
    await waitForMessage(late.page, `message ${COUNT}`);
    const joinedCount = await renderedCount(late.page);
    assert(joinedCount > 0 && joinedCount <= 100);
    await scrollToTop(late.page);
    await waitForMessage(late.page, `message ${COUNT - joinedCount}`);
    await late.page.waitForFunction(() =>
      document.querySelector("#history-top")?.getAttribute("data-state") !==
        "loading"
    );
    assert.deepEqual([...live.errors, ...late.errors], []);
  },
);
