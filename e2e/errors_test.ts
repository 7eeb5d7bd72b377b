/// <reference lib="dom" />
import assert from "node:assert/strict";
import { connectJson, nextMessages } from "../testing/client.ts";
import { startServer } from "../testing/server.ts";
import {
  browserTest,
  isDelivered,
  launchBrowser,
  messageTexts,
  sendMessage,
} from "./_browser.ts";

browserTest(
  "UI shows the rate limit, and a message the user retries is delivered once",
  async () => {
    // One message a second, and retries are never taken for abuse.
    await using server = startServer({
      rateLimit: 1,
      rateBurst: 1,
      rateLimitStrikes: 1_000_000,
    });
    const { client: bo } = await connectJson(`${server.wsUrl}?name=Bo`);
    await using _bo = bo;
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
    });
    for (const text of ["one", "two"]) await sendMessage(page, text);
    await page.waitForSelector("#notice:not([hidden])");
    const notice = await page.$eval("#notice-text", (node) => node.textContent);
    assert.match(notice ?? "", /too fast/);
    const retry = "#pending .message.failed button[data-action=retry]";
    const nonce = await (await page.waitForSelector(retry))!.evaluate(
      (button) => (button as HTMLElement).dataset.nonce!,
    );
    const failed = await page.$eval(
      "#pending .message.failed .delivery",
      (node) => node.textContent,
    );
    assert.match(failed ?? "", /Not sent: .*too fast/);

    // As the notice asks, the user retries until the server takes it: each
    // attempt ends delivered, or refused again while the second is not over.
    const button = `${retry}[data-nonce="${nonce}"]`;
    while (!await isDelivered(page, "two")) {
      await page.click(button);
      await page.waitForFunction(
        (selector: string) =>
          document.querySelector(selector) !== null ||
          document.querySelector("#pending .message") === null,
        { polling: "mutation" },
        button,
      );
    }
    await page.waitForSelector("#pending .message", { hidden: true });
    const texts = await messageTexts(page);
    assert.deepEqual(texts.filter((text) => text === "two"), ["two"]);

    // Bo got it once: his own next message comes right after it.
    assert.deepEqual(
      (await nextMessages(bo, 2)).map((message) => message.text),
      ["one", "two"],
    );
    bo.sendJson({ type: "send", room: "general", text: "end" });
    assert.equal((await bo.nextOfType("message")).text, "end");
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
