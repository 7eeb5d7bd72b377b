/// <reference lib="dom" />
import assert from "node:assert/strict";
import { connect } from "../testing/client.ts";
import { startServer } from "../testing/server.ts";
import { browserTest, launchBrowser, waitForMessage } from "./_browser.ts";

const TUTORIAL_UI =
  new URL("../testdata/tutorial_ui", import.meta.url).pathname;
const TEXT = "hello from the tutorial";

browserTest(
  "the tutorial's one-page client chats through our server",
  async () => {
    await using server = startServer({}, { staticDir: TUTORIAL_UI });
    await using browser = await launchBrowser();
    const pages = [];
    for (let i = 0; i < 2; i++) {
      const context = await browser.browser.createBrowserContext();
      const page = await context.newPage();
      await page.goto(server.origin);
      pages.push(page);
    }
    // The tutorial page shows no connection state: wait until the server has both.
    await server.untilConnections(2);

    const [first, second] = pages as [typeof pages[0], typeof pages[0]];
    await first.type("input[name=message]", TEXT);
    await first.keyboard.press("Enter");
    for (const page of [first, second]) {
      // Poll on a timer: a background tab runs no animation frames.
      await page.waitForFunction(
        (text: string) =>
          [...document.querySelectorAll("#messages li")].some((item) =>
            item.textContent === text
          ),
        { polling: 50 },
        TEXT,
      );
    }
    assert.equal(
      await first.$eval(
        "input[name=message]",
        (input) => (input as HTMLInputElement).value,
      ),
      "",
    );
  },
);

browserTest(
  "our UI and a plain-text client see each other's messages",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const chat = await browser.openChat(server.origin, { name: "Ada" });
    await using plain = await connect(server.wsUrl);
    plain.socket.send("plain hello");
    await waitForMessage(chat.page, "plain hello");
    await chat.page.type("#text", "hello, plain");
    await chat.page.keyboard.press("Enter");
    const frames = [await plain.nextFrame(), await plain.nextFrame()];
    assert.deepEqual(frames, ["plain hello", "hello, plain"]);
  },
);
