/// <reference lib="dom" />
import assert from "node:assert/strict";
import { startServer } from "../testing/server.ts";
import { browserTest, launchBrowser, sendMessage } from "./_browser.ts";

browserTest("UI shows the rate limit and lets the user retry", async () => {
  await using server = startServer({ rateLimit: 1, rateBurst: 1 });
  await using browser = await launchBrowser();
  const { page, errors } = await browser.openChat(server.origin, {
    name: "Ada",
  });
  for (const text of ["one", "two", "three"]) await sendMessage(page, text);
  await page.waitForSelector("#notice:not([hidden])");
  const notice = await page.$eval("#notice-text", (node) => node.textContent);
  assert.match(notice ?? "", /too fast/);
  await page.waitForSelector(
    "#pending .message.failed button[data-action=retry]",
  );
  const failed = await page.$eval(
    "#pending .message.failed .delivery",
    (node) => node.textContent,
  );
  assert.match(failed ?? "", /Not sent/);
  assert.deepEqual(errors, []);
});

browserTest(
  "UI refuses a message over the size limit and says why",
  async () => {
    await using server = startServer({ maxMessageBytes: 64 });
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
    });
    const text = "é".repeat(40);
    await page.focus("#text");
    await page.keyboard.sendCharacter(text);
    await page.waitForSelector("#counter:not([hidden])");
    assert.equal(
      await page.$eval("#counter", (node) => node.textContent),
      "80 / 64",
    );
    await page.keyboard.press("Enter");
    await page.waitForSelector("#notice:not([hidden])");
    const notice = await page.$eval("#notice-text", (node) => node.textContent);
    assert.match(notice ?? "", /too long: at most 64 bytes/);
    assert.equal(
      await page.$eval("textarea#text", (box) => box.value),
      text,
      "the text stays in the composer to be shortened",
    );
    assert.equal(
      await page.$$eval(
        "#messages .message, #pending .message",
        (nodes) => nodes.length,
      ),
      0,
    );
    assert.deepEqual(errors, []);
  },
);
