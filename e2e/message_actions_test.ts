/// <reference lib="dom" />
import assert from "node:assert/strict";
import type { ElementHandle, Page } from "puppeteer-core";
import { callApi, TEST_API_KEY } from "../testing/api_client.ts";
import { startServer } from "../testing/server.ts";
import {
  browserTest,
  type ChatPage,
  launchBrowser,
  messageTexts,
  sendMessage,
  seriousAxeViolations,
  waitForMessage,
} from "./_browser.ts";
import { startSignedInChat } from "./_host_app.ts";

const DELETED = "This message was deleted.";

/** Opens the actions menu of the last message that reads `text`, by mouse. */
async function openMenu(page: Page, text: string): Promise<string[]> {
  const item = await page.waitForFunction(
    (wanted: string) =>
      [...document.querySelectorAll("#messages .message")].findLast(
        (message) => message.querySelector(".body")?.textContent === wanted,
      ),
    {},
    text,
  );
  const message = item as ElementHandle<Element>;
  await message.hover();
  const button = await message.waitForSelector(".message-actions");
  await button!.click();
  await page.waitForSelector('#message-menu:not([hidden]) [role="menuitem"]');
  return page.$$eval(
    '#message-menu [role="menuitem"]',
    (items) => items.map((item) => item.textContent ?? ""),
  );
}

/** Picks the menu item `label` with the arrow keys and Enter. */
async function chooseWithKeys(page: Page, label: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const focused = await page.evaluate(() =>
      document.activeElement?.textContent
    );
    if (focused === label) break;
    await page.keyboard.press("ArrowDown");
  }
  assert.equal(
    await page.evaluate(() => document.activeElement?.textContent),
    label,
  );
  await page.keyboard.press("Enter");
}

function editedMarks(page: Page): Promise<string[]> {
  return page.$$eval(
    "#messages .message",
    (items) =>
      items.map((item) =>
        `${item.querySelector(".body")?.textContent}${
          item.querySelector(".edited") ? " (edited)" : ""
        }`
      ),
  );
}

async function signIn(
  browser: Awaited<ReturnType<typeof launchBrowser>>,
  host: { origin: string },
  user: string,
  role = "member",
): Promise<ChatPage> {
  const chat = await browser.openChat(host.origin, {
    path: `/login?user=${user}&name=${user[0]!.toUpperCase()}${
      user.slice(1)
    }&role=${role}`,
  });
  await chat.page.waitForFunction(() =>
    document.querySelector("#me-status")?.textContent?.startsWith("Signed in")
  );
  return chat;
}

browserTest(
  "UI lets authors edit their last message with ↑ and delete it from its menu; others see it marked edited, then a placeholder",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const ada = await browser.openChat(server.origin, { name: "Ada" });
    const bo = await browser.openChat(server.origin, { name: "Bo" });
    await sendMessage(bo.page, "from Bo");
    await sendMessage(ada.page, "helo wrold");
    await waitForMessage(bo.page, "helo wrold");
    await waitForMessage(ada.page, "helo wrold");

    // ↑ in the empty composer takes Ada's last message to edit.
    await ada.page.focus("#text");
    await ada.page.keyboard.press("ArrowUp");
    await ada.page.waitForSelector("#editing:not([hidden])");
    assert.equal(
      await ada.page.$eval(
        "#text",
        (box) => (box as HTMLTextAreaElement).value,
      ),
      "helo wrold",
    );
    await ada.page.$eval(
      "#text",
      (box) => (box as HTMLTextAreaElement).select(),
    );
    await ada.page.keyboard.sendCharacter("hello world");
    await ada.page.keyboard.press("Enter");
    await ada.page.waitForSelector("#editing", { hidden: true });
    for (const { page } of [ada, bo]) {
      await page.waitForFunction(() =>
        document.querySelector("#messages .message:last-child .edited") !== null
      );
      assert.deepEqual(await editedMarks(page), [
        "from Bo",
        "hello world (edited)",
      ]);
    }
    assert.equal(
      await ada.page.$eval(
        "#text",
        (box) => (box as HTMLTextAreaElement).value,
      ),
      "",
    );

    // Esc gives back what was typed before editing.
    await ada.page.keyboard.type("draft");
    await ada.page.$eval(
      "#text",
      (box) => (box as HTMLTextAreaElement).value = "",
    );
    await ada.page.keyboard.press("ArrowUp");
    await ada.page.waitForSelector("#editing:not([hidden])");
    await ada.page.keyboard.press("Escape");
    await ada.page.waitForSelector("#editing", { hidden: true });

    // A member has no actions on someone else's message.
    assert.equal(
      await ada.page.$$eval(
        "#messages .message:not(.own) .message-actions",
        (buttons) => buttons.length,
      ),
      0,
    );

    // Delete from the message's menu, confirmed in a dialog, with keys.
    assert.deepEqual(await openMenu(ada.page, "hello world"), [
      "Edit",
      "Delete",
    ]);
    await chooseWithKeys(ada.page, "Delete");
    await ada.page.waitForSelector("#action-dialog[open]");
    await ada.page.keyboard.press("Enter");
    for (const { page } of [ada, bo]) {
      await page.waitForFunction(
        (deleted: string) =>
          document.querySelector("#messages .message:last-child.deleted .body")
            ?.textContent === deleted,
        {},
        DELETED,
      );
      assert.deepEqual(await messageTexts(page), ["from Bo", DELETED]);
      assert.deepEqual(await editedMarks(page), ["from Bo", DELETED]);
    }
    assert.equal(
      await ada.page.$("#messages .message:last-child .message-actions"),
      null,
      "a deleted message still offers actions",
    );
    assert.deepEqual([...ada.errors, ...bo.errors], []);
  },
);

browserTest(
  "UI lets a moderator delete anyone's message, and remove and ban its author, who is told each time",
  async () => {
    await using chat = startSignedInChat({ apiKey: TEST_API_KEY });
    const { host, server } = chat;
    await using browser = await launchBrowser();
    const mo = await signIn(browser, host, "mo", "moderator");
    const bo = await signIn(browser, host, "bo");
    await sendMessage(bo.page, "spam, spam, spam");
    await waitForMessage(mo.page, "spam, spam, spam");

    assert.deepEqual(await openMenu(mo.page, "spam, spam, spam"), [
      "Delete",
      "Ban Bo…",
      "Remove Bo from the room…",
    ]);
    await chooseWithKeys(mo.page, "Delete");
    await mo.page.waitForSelector("#action-dialog[open]");
    await mo.page.click("#action-dialog .action-confirm");
    await bo.page.waitForFunction(
      (deleted: string) =>
        document.querySelector("#messages .message:last-child .body")
          ?.textContent === deleted,
      {},
      DELETED,
    );

    // Removed: Bo is told so in place of the composer, and may come back.
    await sendMessage(bo.page, "still here");
    await waitForMessage(mo.page, "still here");
    await openMenu(mo.page, "still here");
    await chooseWithKeys(mo.page, "Remove Bo from the room…");
    await mo.page.waitForSelector("#action-dialog[open] input[name=reason]");
    assert.deepEqual(await seriousAxeViolations(mo.page), [], "kick dialog");
    await mo.page.keyboard.type("cool down");
    await mo.page.keyboard.press("Enter");
    await bo.page.waitForSelector("#ended:not([hidden])");
    assert.match(
      await bo.page.$eval("#ended-text", (node) => node.textContent ?? ""),
      /moderator removed you from #general/,
    );
    assert(
      await bo.page.$eval("#composer", (form) => (form as HTMLElement).hidden),
    );
    await bo.page.click("#rejoin");
    await bo.page.waitForSelector("#ended", { hidden: true });
    await bo.page.waitForSelector('#status[data-state="open"]');
    await sendMessage(bo.page, "back again");
    await waitForMessage(mo.page, "back again");

    // Banned: told so, with no way back in.
    await openMenu(mo.page, "back again");
    await chooseWithKeys(mo.page, "Ban Bo…");
    await mo.page.waitForSelector("#action-dialog[open] select[name=duration]");
    await mo.page.select("#action-dialog select[name=duration]", "3600");
    await mo.page.click("#action-dialog .action-confirm");
    await bo.page.waitForSelector("#ended:not([hidden])");
    assert.match(
      await bo.page.$eval("#ended-text", (node) => node.textContent ?? ""),
      /banned from #general/,
    );
    for (const colorScheme of ["light", "dark"] as const) {
      await bo.page.emulateMediaFeatures([
        { name: "prefers-color-scheme", value: colorScheme },
      ]);
      assert.deepEqual(await seriousAxeViolations(bo.page), [], colorScheme);
    }
    assert(
      await bo.page.$eval(
        "#rejoin",
        (button) => (button as HTMLElement).hidden,
      ),
    );
    await mo.page.waitForFunction(() =>
      /Bo is banned/.test(
        document.querySelector("#notice-text")?.textContent ?? "",
      )
    );

    // Signed out by the host application (4410): the moderator is told.
    host.signOut("mo");
    const answer = await callApi(
      server.origin,
      "POST",
      "/api/users/mo/disconnect",
      {
        body: {},
      },
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    await mo.page.waitForFunction(() =>
      /signed out/.test(
        document.querySelector("#ended-text")?.textContent ?? "",
      )
    );
    assert.deepEqual([...mo.errors, ...bo.errors], []);
  },
);

browserTest(
  "UI shows who is typing, and clears each name when their message arrives or after a few seconds",
  async () => {
    await using server = startServer({ typingInterval: 2000 });
    await using browser = await launchBrowser();
    const [ada, bo, cy] = [
      await browser.openChat(server.origin, { name: "Ada" }),
      await browser.openChat(server.origin, { name: "Bo" }),
      await browser.openChat(server.origin, { name: "Cy" }),
    ];
    const waitForLine = (text: string) =>
      ada.page.waitForFunction(
        (wanted: string) =>
          document.querySelector("#typing")?.textContent === wanted,
        {},
        text,
      );

    await bo.page.focus("#text");
    await bo.page.keyboard.type("on my w");
    await waitForLine("Bo is typing…");
    assert.equal(
      await bo.page.$eval("#typing", (line) => line.textContent),
      "",
      "Bo sees himself typing",
    );
    await cy.page.focus("#text");
    await cy.page.keyboard.type("hmm");
    await waitForLine("Bo and Cy are typing…");

    // Bo's name goes with his message, in the same paint; Cy's stays.
    await bo.page.keyboard.type("ay");
    await bo.page.keyboard.press("Enter");
    const lineWhenShown = await ada.page.waitForFunction(() => {
      const shown = [...document.querySelectorAll("#messages .body")]
        .some((body) => body.textContent === "on my way");
      return shown && document.querySelector("#typing")?.textContent;
    });
    assert.equal(await lineWhenShown.jsonValue(), "Cy is typing…");

    // Cy stopped typing: her name goes after a few seconds by itself.
    await waitForLine("");
    assert.deepEqual(await messageTexts(ada.page), ["on my way"]);
    assert.deepEqual([...ada.errors, ...bo.errors, ...cy.errors], []);
  },
);
