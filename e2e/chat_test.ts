/// <reference lib="dom" />
import assert from "node:assert/strict";
import { startServer } from "../testing/server.ts";
import {
  browserTest,
  launchBrowser,
  messageTexts,
  sendMessage,
  waitForMessage,
} from "./_browser.ts";

browserTest("UI lets two pages pick names and chat both ways", async () => {
  await using server = startServer();
  await using browser = await launchBrowser();
  const ada = await browser.openChat(server.origin);
  const bo = await browser.openChat(server.origin);
  for (const [{ page }, name] of [[ada, "Ada"], [bo, "Bo"]] as const) {
    await page.waitForSelector("#name-dialog[open]");
    assert.equal(
      await page.evaluate(() => document.activeElement?.id),
      "name-input",
    );
    await page.keyboard.type(name);
    await page.keyboard.press("Enter");
    await page.waitForSelector("#name-dialog:not([open])");
    await page.waitForFunction(
      (expected: string) =>
        document.querySelector("#me-name")?.textContent === expected &&
        localStorage.getItem("chat.name") === expected,
      {},
      name,
    );
  }

  await sendMessage(ada.page, "Hello from Ada");
  await waitForMessage(bo.page, "Hello from Ada");
  await sendMessage(bo.page, "Hi Ada, Bo here");
  await waitForMessage(ada.page, "Hi Ada, Bo here");

  const authors = await bo.page.$$eval(
    "#messages .message .author",
    (nodes) => nodes.map((node) => node.textContent),
  );
  assert(authors.includes("Ada"), `Bo sees no message from Ada: ${authors}`);
  assert.deepEqual(await messageTexts(ada.page), [
    "Hello from Ada",
    "Hi Ada, Bo here",
  ]);
  assert.deepEqual([...ada.errors, ...bo.errors], []);
});

browserTest("UI sends on Enter and clears the composer", async () => {
  await using server = startServer();
  await using browser = await launchBrowser();
  const { page, errors } = await browser.openChat(server.origin, {
    name: "Ada",
  });

  await page.focus("#text");
  await page.keyboard.type("first line");
  await page.keyboard.down("Shift");
  await page.keyboard.press("Enter");
  await page.keyboard.up("Shift");
  await page.keyboard.type("second line");
  await page.keyboard.press("Enter");

  await waitForMessage(page, "first line\nsecond line");
  assert.equal(await page.$eval("textarea#text", (box) => box.value), "");
  assert.equal(
    await page.evaluate(() => document.activeElement?.id),
    "text",
    "the composer keeps focus after sending",
  );
  assert.deepEqual(errors, []);
});

browserTest(
  "UI shows markup in messages as text and runs none of it",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const ada = await browser.openChat(server.origin, { name: "Ada" });
    const bo = await browser.openChat(server.origin, {
      name: "<b>Bo</b><img src=x onerror=1>",
    });
    const attacks = [
      "<img src=x onerror=alert(1)>",
      "<script>alert(3)</script>",
      '<a href="javascript:alert(4)">click</a> &amp; &lt;',
    ];
    for (const text of attacks) await sendMessage(bo.page, text);
    for (const text of attacks) await waitForMessage(ada.page, text);

    assert.deepEqual((await messageTexts(ada.page)).slice(-3), attacks);
    const injected = await ada.page.$$eval(
      "#messages img, #messages script, #messages a[href^='javascript']",
      (nodes) => nodes.length,
    );
    assert.equal(injected, 0, "markup from a message became elements");
    const author = await ada.page.$eval(
      "#messages .message .author",
      (node) => node.textContent,
    );
    assert.equal(author, "<b>Bo</b><img src=x onerror=1>");
    assert.deepEqual([...ada.dialogs, ...bo.dialogs], []);
    assert.deepEqual([...ada.errors, ...bo.errors], []);
  },
);

browserTest("UI wraps very long words inside the message list", async () => {
  await using server = startServer();
  await using browser = await launchBrowser();
  for (const viewport of ["desktop", "phone"] as const) {
    const { page } = await browser.openChat(server.origin, {
      name: "Ada",
      viewport,
    });
    const word = "x".repeat(2000);
    await sendMessage(page, word);
    await waitForMessage(page, word);
    const overflow = await page.evaluate(() => {
      const list = document.querySelector("#messages")!;
      const body = [...document.querySelectorAll("#messages .body")].at(-1)!;
      return {
        list: list.scrollWidth - list.clientWidth,
        page: document.documentElement.scrollWidth - innerWidth,
        body: body.getBoundingClientRect().right -
          list.getBoundingClientRect().right,
      };
    });
    assert.deepEqual(overflow.list, 0, `${viewport}: list scrolls sideways`);
    assert(overflow.page <= 0, `${viewport}: page scrolls sideways`);
    assert(overflow.body <= 0, `${viewport}: message sticks out`);
  }
});
