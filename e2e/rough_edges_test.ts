/// <reference lib="dom" />
import assert from "node:assert/strict";
import { startServer } from "../testing/server.ts";
import { browserTest, launchBrowser } from "./_browser.ts";

browserTest("UI shows a long display name whole in the sidebar", async () => {
  await using server = startServer();
  await using browser = await launchBrowser();
  const name = "Kim Kowalczyk-Nowak";
  const { page, errors } = await browser.openChat(server.origin, { name });
  await page.waitForFunction(
    (wanted: string) =>
      document.querySelector("#me-name")?.textContent === wanted,
    {},
    name,
  );
  const cut = await page.$eval("#me-name", (node) => ({
    scroll: node.scrollWidth,
    client: node.clientWidth,
  }));
  assert(cut.scroll <= cut.client, `the name is cut: ${JSON.stringify(cut)}`);
  assert.deepEqual(errors, []);
});

browserTest(
  "UI's member count in the header takes desktop users to the member list",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
    });
    await page.waitForFunction(() =>
      document.querySelector("#header-members")?.textContent === "1 member"
    );
    await page.click("#header-members");
    await page.waitForFunction(() =>
      document.activeElement?.closest(".members-panel") !== null
    );
    assert.equal(
      await page.$eval(
        "#header-members",
        (button) => getComputedStyle(button).cursor,
      ),
      "pointer",
    );
    assert.deepEqual(errors, []);
  },
);

browserTest(
  "UI says so when Esc on the first visit's name dialog leaves the user a guest",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin);
    await page.waitForSelector("#name-dialog[open]");
    await page.keyboard.press("Escape");
    await page.waitForSelector("#name-dialog:not([open])");
    const notice = await page.waitForFunction(() => {
      const notice = document.querySelector("#notice") as HTMLElement;
      return !notice.hidden && notice.textContent;
    });
    const guest = await page.$eval(
      "#me-name",
      (node) => node.textContent ?? "",
    );
    assert.match(guest, /^guest-/);
    const text = String(await notice.jsonValue());
    assert(text.includes(guest), `the notice names no guest: ${text}`);
    assert.match(text, /Change name/);
    assert.deepEqual(errors, []);
  },
);
