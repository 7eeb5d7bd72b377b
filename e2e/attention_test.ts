/// <reference lib="dom" />
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { startServer } from "../testing/server.ts";
import {
  browserTest,
  launchBrowser,
  sendMessage,
  seriousAxeViolations,
  waitForConnected,
  waitForMessage,
} from "./_browser.ts";

/** What the page showed the system: notifications, and chimes played. */
interface Shown {
  notes: { title: string; body: string }[];
  chimes: number;
}

/**
 * Stands in for the system's notifications (which a headless browser has
 * not) and counts the chime's tones, from the next load on.
 */
async function watchNotifications(page: Page): Promise<() => Promise<Shown>> {
  await page.evaluateOnNewDocument(() => {
    const shown = { notes: [] as Shown["notes"], chimes: 0 };
    Object.assign(globalThis, { shown });
    class FakeNotification {
      static permission = "default";
      static requestPermission() {
        FakeNotification.permission = "granted";
        return Promise.resolve("granted");
      }
      onclick: (() => void) | null = null;
      constructor(title: string, options: { body: string }) {
        shown.notes.push({ title, body: options.body });
      }
      close() {}
    }
    Object.assign(globalThis, { Notification: FakeNotification });
    const createOscillator = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function () {
      shown.chimes++;
      return createOscillator.call(this);
    };
  });
  await page.reload();
  await waitForConnected(page);
  return () =>
    page.evaluate(() => (globalThis as unknown as { shown: Shown }).shown);
}

/** Waits on DOM changes: a hidden tab runs no animation frames to poll on. */
async function waitForTitle(page: Page, title: string): Promise<void> {
  await page.waitForFunction(
    (wanted: string) => document.title === wanted,
    { polling: "mutation" },
    title,
  );
}

browserTest(
  "UI completes @mentions from the room's members, highlights them, and badges the room they are in",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const ada = await browser.openChat(server.origin, {
      name: "Ada Lovelace",
      path: "/#/dev",
    });
    const bo = await browser.openChat(server.origin, { name: "Bo" });
    await bo.page.waitForFunction(() =>
      document.querySelectorAll("#members .member").length === 2
    );
    await bo.page.focus("#text");
    await bo.page.keyboard.type("hi @lov");
    await bo.page.waitForSelector("#mention-list:not([hidden])");
    assert.deepEqual(
      await bo.page.$$eval(
        "#mention-list [role=option]",
        (items) => items.map((item) => item.textContent),
      ),
      ["Ada Lovelace"],
    );
    assert.deepEqual(await seriousAxeViolations(bo.page), []);
    await bo.page.keyboard.press("Enter");
    await bo.page.waitForSelector("#mention-list", { hidden: true });
    assert.equal(
      await bo.page.$eval("#text", (box) => (box as HTMLTextAreaElement).value),
      "hi @Ada Lovelace ",
    );
    await bo.page.keyboard.type("look");
    await bo.page.keyboard.press("Enter");
    await waitForMessage(bo.page, "hi @Ada Lovelace look");

    // Ada is in #dev: #general gets a mention badge.
    await ada.page.waitForSelector('#rooms a[href="#/general"] .mention-badge');
    await ada.page.click('#rooms a[href="#/general"]');
    await waitForMessage(ada.page, "hi @Ada Lovelace look");
    const mention = await ada.page.$eval(
      "#messages .message:last-child",
      (item) => ({
        highlighted: item.classList.contains("mentions-me"),
        mention: item.querySelector(".mention-me")?.textContent,
      }),
    );
    assert.deepEqual(mention, {
      highlighted: true,
      mention: "@Ada Lovelace",
    });
    assert.equal(await ada.page.$('#rooms a[href="#/general"] .badge'), null);
    assert.deepEqual([...ada.errors, ...bo.errors], []);
  },
);

browserTest(
  "UI counts unread messages in the tab title, and notifies of mentions with a chime while hidden, except in muted rooms",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const ada = await browser.openChat(server.origin, {
      name: "Ada",
      path: "/#/dev",
    });
    const bo = await browser.openChat(server.origin, {
      name: "Bo",
      path: "/#/dev",
    });
    const shown = await watchNotifications(ada.page);
    const { page } = ada;

    // Mute #dev, turn notifications on, and go back to #general.
    await page.click("#mute");
    await page.waitForSelector('#mute[aria-pressed="true"]');
    await page.click("#notify");
    await page.waitForSelector('#notify[aria-pressed="true"]');
    await page.click('#rooms a[href="#/general"]');
    await waitForTitle(page, "#general · Chat");

    // Another tab comes to the front: Ada's is hidden.
    const other = await page.browserContext().newPage();
    await other.bringToFront();
    await page.waitForFunction(() => document.hidden, { polling: "mutation" });

    await bo.page.click('#rooms a[href="#/general"]');
    await bo.page.waitForFunction(() =>
      document.querySelectorAll("#members .member").length === 2
    );
    await sendMessage(bo.page, "just chatting");
    await waitForTitle(page, "(1) #general · Chat");
    await sendMessage(bo.page, "@Ada are you there?");
    await waitForTitle(page, "(2) #general · Chat");
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { shown: Shown }).shown.notes.length === 1,
      { polling: "mutation" },
    );
    // Muted: counted on its link only, with no notification.
    await bo.page.click('#rooms a[href="#/dev"]');
    await sendMessage(bo.page, "@Ada in dev");
    await bo.page.click('#rooms a[href="#/general"]');
    await sendMessage(bo.page, "@Ada last one");
    await waitForTitle(page, "(3) #general · Chat");
    const seen = await shown();
    assert.deepEqual(seen.notes, [
      { title: "Bo in #general", body: "@Ada are you there?" },
      { title: "Bo in #general", body: "@Ada last one" },
    ]);
    assert.equal(seen.chimes, 2);

    // Back to Ada's tab: what she sees is read.
    await page.bringToFront();
    await waitForTitle(page, "#general · Chat");
    await page.waitForSelector('#rooms a[href="#/dev"].muted .mention-badge');
    assert.deepEqual([...ada.errors, ...bo.errors], []);
  },
);
