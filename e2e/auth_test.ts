/// <reference lib="dom" />
import assert from "node:assert/strict";
import { startSignedInChat } from "./_host_app.ts";
import {
  browserTest,
  launchBrowser,
  sendMessage,
  waitForMessage,
} from "./_browser.ts";

browserTest(
  "UI signs users in with the host application's token; they chat and open a direct message",
  async () => {
    await using chat = startSignedInChat();
    const { host } = chat;
    await using browser = await launchBrowser();
    const ada = await browser.openChat(host.origin, {
      path: "/login?user=auth0|ada&name=Ada",
    });
    const bo = await browser.openChat(host.origin, {
      path: "/login?user=bo&name=Bo",
    });
    for (const [{ page }, name] of [[ada, "Ada"], [bo, "Bo"]] as const) {
      await page.waitForFunction(
        (expected: string) =>
          document.querySelector("#me-name")?.textContent === expected &&
          document.querySelector("#me-status")?.textContent === "Signed in",
        {},
        name,
      );
      assert.equal(await page.$("#name-dialog[open]"), null, "asked a name");
      assert(
        await page.$eval("#rename", (button) => (button as HTMLElement).hidden),
      );
    }

    await sendMessage(ada.page, "Hello from Ada");
    await waitForMessage(bo.page, "Hello from Ada");
    const author = await bo.page.$eval(
      "#messages .message:last-child .author",
      (node) => node.textContent,
    );
    assert.equal(author, "Ada");

    // Ada opens a direct message with Bo from the member list; Bo opens it
    // from his and finds her message there.
    const messageBo = '#members button[aria-label="Message Bo directly"]';
    await (await ada.page.waitForSelector(messageBo))!.click();
    await ada.page.waitForFunction(() => document.title === "@Bo · Chat");
    await sendMessage(ada.page, "Just between us");
    await waitForMessage(ada.page, "Just between us");
    const messageAda = '#members button[aria-label="Message Ada directly"]';
    await (await bo.page.waitForSelector(messageAda))!.click();
    await bo.page.waitForFunction(() => document.title === "@Ada · Chat");
    await waitForMessage(bo.page, "Just between us");
    await bo.page.waitForFunction(() =>
      [...document.querySelectorAll("#members .member-name")]
        .map((node) => node.textContent).join() === "Ada,Bo"
    );
    assert.deepEqual([...ada.errors, ...bo.errors], []);
  },
);

browserTest(
  "UI fetches a fresh token before the old one expires and stays connected",
  async () => {
    await using chat = startSignedInChat({ authClockSkew: 0 }, 3);
    const { host, server } = chat;
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(host.origin, {
      path: "/login?user=ada&name=Ada",
    });
    await host.untilIssued(2);
    const firstExpiry = host.issued[0]!.exp * 1000;
    // Past the first token's expiry, the page is still on its first connection.
    await page.waitForFunction(
      (after: number) => Date.now() > after,
      { timeout: 10_000 },
      firstExpiry + 1000,
    );
    assert.equal(
      server.handler.metrics.serverCloses.value({ code: "4440" }),
      0,
    );
    assert.equal(
      server.handler.metrics.connectionsOpened.value({
        protocol: "json",
      }),
      1,
    );
    await sendMessage(page, "still here");
    await waitForMessage(page, "still here");
    assert.deepEqual(errors, []);
  },
);

browserTest(
  "UI shows who is signed in and their role, marks guests among signed-in users, and lists direct messages apart",
  async () => {
    await using chat = startSignedInChat({ guests: "on" });
    const { host, server } = chat;
    await using browser = await launchBrowser();
    const mo = await browser.openChat(host.origin, {
      path: "/login?user=mo&name=Mo&role=moderator",
    });
    await mo.page.waitForFunction(() =>
      document.querySelector("#me-status")?.textContent ===
        "Signed in · moderator"
    );
    const bo = await browser.openChat(host.origin, {
      path: "/login?user=bo&name=Bo",
    });
    const guest = await browser.openChat(server.origin, { name: "Gus" });
    assert.equal(
      await guest.page.$eval("#me-status", (node) => node.textContent),
      "Guest",
    );
    await sendMessage(guest.page, "hello from a guest");
    await sendMessage(bo.page, "hello from Bo");
    await waitForMessage(mo.page, "hello from Bo");
    const authors = await mo.page.$$eval(
      "#messages .message .author",
      (nodes) => nodes.map((node) => node.textContent),
    );
    assert.deepEqual(authors, ["Gus guest", "Bo"]);

    const messageBo = '#members button[aria-label="Message Bo directly"]';
    await (await mo.page.waitForSelector(messageBo))!.click();
    await mo.page.waitForFunction(() => document.title === "@Bo · Chat");
    const lists = await mo.page.evaluate(() => ({
      rooms: [...document.querySelectorAll("#rooms .room-link")].map((link) =>
        link.textContent
      ),
      directs: [...document.querySelectorAll("#directs .room-link")].map((
        link,
      ) => link.textContent),
      heading: (document.querySelector("#directs-panel") as HTMLElement)
        .hidden,
    }));
    assert.deepEqual(lists, {
      rooms: ["#general"],
      directs: ["@Bo"],
      heading: false,
    });
    // The guest's page asked the host app for a token and got a 401.
    const guestErrors = guest.errors.filter((error) => !/\b401\b/.test(error));
    assert.deepEqual([...mo.errors, ...bo.errors, ...guestErrors], []);
  },
);
