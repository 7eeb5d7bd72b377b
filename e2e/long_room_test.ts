/// <reference lib="dom" />
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { connectJson } from "../testing/client.ts";
import { startServer } from "../testing/server.ts";
import { browserTest, launchBrowser, waitForMessage } from "./_browser.ts";

const COUNT = 10_000;
/** message_list.js MAX_RENDERED: the most messages kept in the DOM. */
const MAX_RENDERED = 300;
/**
 * Longest main-thread task allowed while the messages pour in and the user
 * scrolls. Windowed rendering stays near 100 ms here, on a busy machine;
 * rendering 2,000 messages at a time already takes about a second.
 */
const MAX_TASK_MS = 500;

function renderedCount(page: Page): Promise<number> {
  return page.$$eval("#messages .message", (nodes) => nodes.length);
}

/**
 * Starts recording the page's long tasks (over 50 ms, the Long Tasks API).
 *
 * @returns Reads the longest task recorded so far, in milliseconds.
 */
async function recordLongTasks(page: Page): Promise<() => Promise<number>> {
  await page.evaluate(() => {
    const record = globalThis as unknown as { longestTask: number };
    record.longestTask = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        record.longestTask = Math.max(record.longestTask, entry.duration);
      }
    }).observe({ type: "longtask" });
  });
  return () =>
    page.evaluate(() =>
      (globalThis as unknown as { longestTask: number }).longestTask
    );
}

async function assertNoTaskOver(
  longestTask: () => Promise<number>,
  maxMs: number,
  during: string,
): Promise<void> {
  const longest = await longestTask();
  assert(longest <= maxMs, `a task took ${longest} ms during ${during}`);
}

async function scrollToTop(page: Page): Promise<void> {
  await page.$eval("#scroller", (scroller) => scroller.scrollTop = 0);
}

browserTest(
  "UI shows 10,000 messages with at most 300 in the DOM and no task over 500 ms, and pages older history",
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
    const longestTask = await recordLongTasks(live.page);

    for (let i = 1; i <= COUNT; i++) {
      bo.sendJson({ type: "send", room: "general", text: `message ${i}` });
    }
    await waitForMessage(live.page, `message ${COUNT}`);
    await assertNoTaskOver(longestTask, MAX_TASK_MS, "the flood");
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
    await assertNoTaskOver(longestTask, MAX_TASK_MS, "scrolling");

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
