/// <reference lib="dom" />
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { connectJson } from "../testing/client.ts";
import { startServer } from "../testing/server.ts";
import {
  browserTest,
  launchBrowser,
  seriousAxeViolations,
  waitForConnected,
  waitForMessage,
} from "./_browser.ts";

/** Where the "new since you left" line is: the message after it, and whether it is at the top of the view. */
function newSince(page: Page) {
  return page.evaluate(() => {
    const line = document.querySelector("#messages .new-since");
    if (!line) return null;
    const scroller = document.querySelector("#scroller")!
      .getBoundingClientRect();
    const box = line.getBoundingClientRect();
    return {
      next: line.nextElementSibling?.querySelector(".body")?.textContent,
      atTop: box.top >= scroller.top && box.top < scroller.top + 60,
    };
  });
}

browserTest(
  "UI marks what is new since you left a room, and opens it there, after switching rooms and after a reload",
  async () => {
    await using server = startServer({
      rateLimit: 1_000_000,
      rateBurst: 1_000_000,
    });
    const { client: bo } = await connectJson(`${server.wsUrl}?name=Bo`);
    await using _bo = bo;
    const say = (text: string) =>
      bo.sendJson({ type: "send", room: "general", text });
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
      path: "/#/dev",
    });
    await page.click('#rooms a[href="#/general"]');
    for (let i = 1; i <= 20; i++) say(`old ${i}`);
    await waitForMessage(page, "old 20");
    assert.equal(await newSince(page), null, "a line while reading along");

    // Away in #dev while 40 messages arrive: #general opens at the first.
    await page.click('#rooms a[href="#/dev"]');
    for (let i = 1; i <= 40; i++) say(`new ${i}`);
    await page.waitForFunction(() =>
      document.querySelector('#rooms a[href="#/general"] .badge')
        ?.textContent?.startsWith("40")
    );
    await page.click('#rooms a[href="#/general"]');
    await page.waitForSelector("#messages .new-since");
    assert.deepEqual(await newSince(page), { next: "new 1", atTop: true });
    for (const colorScheme of ["light", "dark"] as const) {
      await page.emulateMediaFeatures([
        { name: "prefers-color-scheme", value: colorScheme },
      ]);
      assert.deepEqual(await seriousAxeViolations(page), [], colorScheme);
    }

    // Read to the end, away and back with nothing new: no line.
    await page.click("#jump");
    await page.waitForSelector("#jump", { hidden: true });
    await page.click('#rooms a[href="#/dev"]');
    await page.click('#rooms a[href="#/general"]');
    await waitForMessage(page, "new 40");
    assert.equal(await newSince(page), null);

    // The page closed while 30 more arrive: it opens at the first of them.
    const context = page.browserContext();
    await page.close();
    for (let i = 1; i <= 30; i++) say(`later ${i}`);
    await bo.nextOfType("ack");
    const again = await context.newPage();
    again.on("pageerror", (error) => errors.push(String(error)));
    await again.goto(`${server.origin}/#/general`);
    await waitForConnected(again);
    await again.waitForSelector("#messages .new-since");
    assert.deepEqual(await newSince(again), { next: "later 1", atTop: true });
    assert.deepEqual(errors, []);
  },
);
