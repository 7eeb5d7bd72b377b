/// <reference lib="dom" />
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { startServer } from "../testing/server.ts";
import {
  browserTest,
  launchBrowser,
  seriousAxeViolations,
} from "./_browser.ts";

function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    return element?.getAttribute("href") ?? element?.id ?? "";
  });
}

async function waitForRoom(page: Page, hash: string): Promise<void> {
  await page.waitForFunction(
    (wanted: string) =>
      location.hash === wanted &&
      document.querySelector(`#rooms a[href="${wanted}"]`)
          ?.getAttribute("aria-current") === "page",
    {},
    hash,
  );
}

browserTest(
  "UI keeps focus on a room link opened with Enter, so Tab goes on from there",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
      path: "/#/dev",
    });
    await waitForRoom(page, "#/dev");
    await page.focus('#rooms a[href="#/general"]');
    await page.keyboard.press("Enter");
    await waitForRoom(page, "#/general");
    assert.equal(await focused(page), "#/general");
    await page.keyboard.press("Tab");
    assert.equal(await focused(page), "#/dev");
    assert.deepEqual(errors, []);
  },
);

browserTest(
  "UI switches rooms with Alt+↑ and Alt+↓, and with the Ctrl+K quick switcher",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
      path: "/#/dev",
    });
    await waitForRoom(page, "#/dev");
    await page.focus("#join-input");
    await page.keyboard.type("design");
    await page.keyboard.press("Enter");
    await waitForRoom(page, "#/design");

    await page.keyboard.down("Alt");
    await page.keyboard.press("ArrowUp");
    await waitForRoom(page, "#/dev");
    await page.keyboard.press("ArrowUp");
    await waitForRoom(page, "#/general");
    await page.keyboard.press("ArrowUp");
    await waitForRoom(page, "#/design");
    await page.keyboard.press("ArrowDown");
    await waitForRoom(page, "#/general");
    await page.keyboard.up("Alt");
    assert.equal(await focused(page), "text", "the composer keeps focus");

    await page.keyboard.down("Control");
    await page.keyboard.press("k");
    await page.keyboard.up("Control");
    await page.waitForSelector("#switcher[open]");
    await page.keyboard.type("de");
    const options = await page.$$eval(
      "#switcher [role=option]",
      (items) => items.map((item) => item.textContent),
    );
    assert.deepEqual(options, ["#dev", "#design", "Join #de"]);
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await waitForRoom(page, "#/design");
    await page.waitForSelector("#switcher:not([open])");
    assert.equal(await focused(page), "text");

    // A room not joined yet is offered too.
    await page.keyboard.down("Control");
    await page.keyboard.press("k");
    await page.keyboard.up("Control");
    await page.waitForSelector("#switcher[open]");
    for (const colorScheme of ["light", "dark"] as const) {
      await page.emulateMediaFeatures([
        { name: "prefers-color-scheme", value: colorScheme },
      ]);
      assert.deepEqual(await seriousAxeViolations(page), [], colorScheme);
    }
    await page.keyboard.type("Ops");
    await page.keyboard.press("Enter");
    await waitForRoom(page, "#/ops");
    assert.deepEqual(errors, []);
  },
);
