/// <reference lib="dom" />
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { ChatClient } from "../client/mod.ts";
import { startServer } from "../testing/server.ts";
import {
  browserTest,
  launchBrowser,
  sendMessage,
  seriousAxeViolations,
  waitForMessage,
} from "./_browser.ts";

async function assertAccessible(page: Page, state: string): Promise<void> {
  const violations = await seriousAxeViolations(page);
  assert.deepEqual(
    violations,
    [],
    `${state}: ${JSON.stringify(violations, null, 2)}`,
  );
}

browserTest("UI has no serious axe violations in its main states", async () => {
  await using server = startServer();
  await using bo = new ChatClient(server.wsUrl, { name: "Bo" });
  await bo.join("general").send("hello from Bo");
  await using browser = await launchBrowser();

  const fresh = await browser.openChat(server.origin);
  await fresh.page.waitForSelector("#name-dialog[open]");
  await assertAccessible(fresh.page, "name dialog");
  await fresh.page.close();

  for (const colorScheme of ["light", "dark"] as const) {
    const { page } = await browser.openChat(server.origin, {
      name: "Ada",
      colorScheme,
      path: `/#/${colorScheme}`,
    });
    await page.waitForSelector("#empty:not([hidden])");
    await assertAccessible(page, `${colorScheme}: empty room`);
    await page.click('#rooms a[href="#/general"]');
    await waitForMessage(page, "hello from Bo");
    // A pasted control character, which the server refuses for good.
    await sendMessage(page, "bell \u0007");
    await page.waitForSelector("#pending .message.failed");
    await assertAccessible(page, `${colorScheme}: conversation with an error`);
    await page.close();
  }

  const phone = await browser.openChat(server.origin, {
    name: "Ada",
    viewport: "phone",
  });
  await phone.page.click("#menu");
  await phone.page.waitForSelector('.app[data-drawer="open"] .sidebar');
  await assertAccessible(phone.page, "phone: drawer open");

  await server.handler.shutdown();
  await phone.page.waitForSelector('#status[data-state="reconnecting"]');
  await assertAccessible(phone.page, "phone: reconnecting");
});

browserTest(
  "UI is usable with the keyboard alone, with visible focus",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin);

    // The name dialog takes focus first; Enter saves the name.
    await page.waitForSelector("#name-dialog[open]");
    await page.keyboard.type("Kay");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.activeElement?.id === "text");
    await page.keyboard.type("typed with keys only");
    await page.keyboard.press("Enter");
    await waitForMessage(page, "typed with keys only");

    // Tab through the whole page from the top: every control is reached, in a
    // sensible order, and each shows a focus outline.
    await page.evaluate(() => {
      (document.activeElement as HTMLElement).blur();
      document.body.tabIndex = -1;
      document.body.focus();
    });
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press("Tab");
      const focused = await page.evaluate(() => {
        const element = document.activeElement as HTMLElement;
        const style = getComputedStyle(element);
        return {
          key: element.id || element.getAttribute("href") ||
            element.className || element.tagName,
          outline: style.outlineStyle !== "none" &&
            style.outlineWidth !== "0px",
        };
      });
      if (focused.key === "BODY") break;
      assert(focused.outline, `${focused.key} shows no focus outline`);
      if (seen.includes(focused.key)) break;
      seen.push(focused.key);
    }
    for (
      const key of [
        "#/general",
        "join-input",
        "rename",
        "scroller",
        "text",
        "send",
      ]
    ) {
      assert(seen.includes(key), `Tab never reaches ${key}: ${seen}`);
    }
    assert(seen.indexOf("join-input") < seen.indexOf("text"));

    // Join a room from the keyboard, then leave it.
    await page.focus("#join-input");
    await page.keyboard.type("Kbd-Room");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => location.hash === "#/kbd-room");
    await page.waitForFunction(() => document.activeElement?.id === "text");
    await page.focus("#leave");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => location.hash === "#/general");
    assert.deepEqual(errors, []);
  },
);

browserTest(
  "UI message actions, editing and the typing line have no serious axe violations, light and dark, desktop and phone",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    for (const viewport of ["desktop", "phone"] as const) {
      await using bo = new ChatClient(server.wsUrl, { name: "Bo" });
      const general = bo.join("general");
      await general.ready;
      const { page, errors } = await browser.openChat(server.origin, {
        name: "Ada",
        viewport,
      });
      const text = `mine on ${viewport}`;
      await sendMessage(page, text);
      await waitForMessage(page, text);
      await page.waitForFunction(() =>
        /^\d+ members$/.test(
          document.querySelector("#header-members")?.textContent ?? "",
        ) && document.querySelector("#header-members")?.textContent !==
          "1 members"
      );
      general.typing();
      await page.waitForFunction(() =>
        document.querySelector("#typing")?.textContent === "Bo is typing…"
      );
      for (const colorScheme of ["light", "dark"] as const) {
        await page.emulateMediaFeatures([
          { name: "prefers-color-scheme", value: colorScheme },
        ]);
        const state = `${viewport}, ${colorScheme}`;
        await page.focus("#text");
        await page.keyboard.press("ArrowUp");
        await page.waitForSelector("#editing:not([hidden])");
        await assertAccessible(page, `${state}: editing`);
        await page.keyboard.press("Escape");
        const button = await page.waitForSelector(
          "#messages .message.own .message-actions",
        );
        await button!.click();
        await page.waitForSelector("#message-menu:not([hidden])");
        await assertAccessible(page, `${state}: message menu`);
        await page.keyboard.press("ArrowDown");
        await page.keyboard.press("Enter");
        await page.waitForSelector("#action-dialog[open]");
        await assertAccessible(page, `${state}: delete dialog`);
        await page.keyboard.press("Escape");
        await page.waitForSelector("#action-dialog:not([open])");
      }
      assert.deepEqual(errors, []);
      await page.close();
    }
  },
);

browserTest(
  "UI mentions, links, the new-since and join lines, mute and the mention list have no serious axe violations, light and dark, desktop and phone",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    for (const viewport of ["desktop", "phone"] as const) {
      const room = `a11y-${viewport}`;
      await using bo = new ChatClient(server.wsUrl, { name: "Bo" });
      const general = bo.join(room);
      await general.ready;
      await general.send("first");
      const { page, errors } = await browser.openChat(server.origin, {
        name: "Ada",
        viewport,
        path: `/#/${room}`,
      });
      await waitForMessage(page, "first");
      await page.keyboard.down("Alt");
      await page.keyboard.press("ArrowUp");
      await page.waitForFunction(() => location.hash === "#/general");
      await using cy = new ChatClient(server.wsUrl, { name: "Cy" });
      await cy.join(room).ready;
      await general.send("@Ada look at **this**: https://example.com");
      await general.send("```\nlet code = true;\n```\n> and a quote");
      // Back in the room before both arrive, the page would find nothing new
      // since it left: wait for the room's unread count to say two.
      await page.waitForFunction(
        (href) =>
          document.querySelector(
            `#rooms a[href="${href}"] .badge:not(.mention-badge)`,
          )
            ?.textContent?.startsWith("2 "),
        {},
        `#/${room}`,
      );
      await page.keyboard.press("ArrowDown");
      await page.keyboard.up("Alt");
      await page.waitForSelector("#messages .new-since");
      await page.waitForSelector("#messages .system-line");
      await page.waitForSelector("#messages .mentions-me .mention-me");
      await page.click("#mute");
      await page.focus("#text");
      await page.keyboard.type("@c");
      await page.waitForSelector("#mention-list:not([hidden])");
      for (const colorScheme of ["light", "dark"] as const) {
        await page.emulateMediaFeatures([
          { name: "prefers-color-scheme", value: colorScheme },
        ]);
        await assertAccessible(page, `${viewport}, ${colorScheme}`);
      }
      assert.deepEqual(errors, []);
      await page.close();
    }
  },
);
