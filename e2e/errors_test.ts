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

browserTest(
  "UI paces a burst of 40 messages to the rate limit and shows them all in order",
  async () => {
    await using server = startServer({ rateLimit: 10, rateBurst: 20 });
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
    });
    const texts = Array.from({ length: 40 }, (_, i) => `burst ${i + 1}`);
    for (const text of texts) await sendMessage(page, text);
    await waitForMessage(page, "burst 40");
    await page.waitForSelector("#pending .message", { hidden: true });
    assert.deepEqual(await messageTexts(page), texts);
    assert.equal(await page.$("#pending .message.failed"), null);
    assert.equal(server.handler.metrics.rateLimited.value(), 0);
    assert.deepEqual(errors, []);
  },
);

browserTest(
  "UI shows a message the server refuses for good as not sent, to retry or discard",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
    });
    // A control character pasted in: the server refuses it (bad_request).
    await sendMessage(page, "bell \u0007");
    await page.waitForSelector(
      "#pending .message.failed button[data-action=retry]",
    );
    const failed = await page.$eval(
      "#pending .message.failed .delivery",
      (node) => node.textContent,
    );
    assert.match(failed ?? "", /Not sent: The server could not read/);
    await page.click("#pending .message.failed button[data-action=discard]");
    await page.waitForSelector("#pending .message", { hidden: true });
    await sendMessage(page, "plain text");
    await waitForMessage(page, "plain text");
    assert.deepEqual(await messageTexts(page), ["plain text"]);
    assert.deepEqual(errors, []);
  },
);

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
