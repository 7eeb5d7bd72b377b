/// <reference lib="dom" />
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { ChatClient } from "../client/mod.ts";
import { startServer } from "../testing/server.ts";
import {
  browserTest,
  launchBrowser,
  messageTexts,
  sendMessage,
  waitForMessage,
} from "./_browser.ts";

function roomLinks(page: Page): Promise<string[]> {
  return page.$$eval(
    "#rooms .room-label",
    (labels) => labels.map((label) => label.textContent ?? ""),
  );
}

async function waitForMembers(page: Page, expected: string[]): Promise<void> {
  await page.waitForFunction(
    (names: string[]) =>
      JSON.stringify(
        [...document.querySelectorAll("#members .member-name")]
          .map((node) => node.textContent),
      ) === JSON.stringify(names),
    {},
    expected,
  );
}

browserTest(
  "UI joins a room from a shared link and shows its members",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const ada = await browser.openChat(server.origin, {
      name: "Ada",
      path: "/#/Design-Team",
    });
    const { page } = ada;
    await waitForMembers(page, ["Ada"]);
    assert.equal(
      await page.$eval("#room-name", (node) => node.textContent),
      "design-team",
    );
    assert.equal(await page.evaluate(() => location.hash), "#/design-team");
    assert.deepEqual(await roomLinks(page), ["general", "design-team"]);

    const bo = await browser.openChat(server.origin, {
      name: "Bo",
      path: "/#/design-team",
    });
    await waitForMembers(page, ["Ada", "Bo"]);
    await waitForMembers(bo.page, ["Ada", "Bo"]);
    await sendMessage(bo.page, "Welcome to design");
    await waitForMessage(page, "Welcome to design");
    assert.deepEqual(await messageTexts(page), ["Welcome to design"]);

    await bo.page.close();
    await waitForMembers(page, ["Ada"]);
    assert.deepEqual(ada.errors, []);
  },
);

browserTest(
  "UI switches rooms, counts unread messages and leaves",
  async () => {
    await using server = startServer();
    await using bo = new ChatClient(server.wsUrl, { name: "Bo" });
    const [general, dev] = [bo.join("general"), bo.join("dev")];
    await Promise.all([general.ready, dev.ready]);
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
      path: "/#/dev",
    });
    await waitForMembers(page, ["Ada", "Bo"]);
    await page.click('#rooms a[href="#/general"]');
    await page.waitForFunction(() => location.hash === "#/general");
    await page.waitForSelector(
      '#rooms a[href="#/general"][aria-current="page"]',
    );

    for (const text of ["one", "two", "three"]) await dev.send(text);
    await general.send("in general");
    await waitForMessage(page, "in general");
    await page.waitForFunction(() =>
      document.querySelector('#rooms a[href="#/dev"] .badge')?.textContent
        ?.startsWith("3")
    );
    assert.deepEqual(await messageTexts(page), ["in general"]);

    await page.click('#rooms a[href="#/dev"]');
    await waitForMessage(page, "three");
    assert.deepEqual(await messageTexts(page), ["one", "two", "three"]);
    assert.equal(await page.$('#rooms a[href="#/dev"] .badge'), null);

    await page.click("#leave");
    await page.waitForFunction(() => location.hash === "#/general");
    assert.deepEqual(await roomLinks(page), ["general"]);
    assert.deepEqual(errors, []);
  },
);

browserTest("UI keeps the name and shows history after a reload", async () => {
  await using server = startServer();
  await using browser = await launchBrowser();
  const { page, errors } = await browser.openChat(server.origin, {
    name: "Ada",
  });
  await page.click("#rename");
  await page.waitForSelector("#name-dialog[open]");
  await page.$eval(
    "#name-input",
    (input) => (input as HTMLInputElement).value = "",
  );
  await page.type("#name-input", "Ada Lovelace");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() =>
    document.querySelector("#me-name")?.textContent === "Ada Lovelace"
  );
  await sendMessage(page, "before the reload");
  await waitForMessage(page, "before the reload");

  await page.reload();
  await page.waitForSelector('#status[data-state="open"]');
  await waitForMessage(page, "before the reload");
  assert.equal(
    await page.$eval("#me-name", (node) => node.textContent),
    "Ada Lovelace",
  );
  assert.equal(await page.$("#name-dialog[open]"), null);
  assert.deepEqual(await messageTexts(page), ["before the reload"]);
  const author = await page.$eval(
    "#messages .author",
    (node) => node.textContent,
  );
  assert.equal(author, "Ada Lovelace");
  assert.deepEqual(errors, []);
});

browserTest(
  "UI shows a large room's member count from presence counts",
  async () => {
    await using server = startServer({ largeRoom: 2 });
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
    });
    await waitForMembers(page, ["Ada"]);
    const clients = [];
    try {
      for (const name of ["Bo", "Cy", "Dee"]) {
        const client = new ChatClient(server.wsUrl, { name });
        clients.push(client);
        await client.join("general").ready;
      }
      // Bo arrives by name; above two subscribers only counts follow.
      const memberCount = (expected: string) =>
        page.waitForFunction(
          (text: string) =>
            document.querySelector("#member-count")?.textContent === text &&
            document.querySelector("#header-members")?.textContent ===
              `${text} members`,
          {},
          expected,
        );
      await memberCount("4");
      await waitForMembers(page, ["Ada", "Bo"]);
      const dee = clients.pop()!;
      await dee[Symbol.asyncDispose]();
      await memberCount("3");
    } finally {
      for (const client of clients) await client[Symbol.asyncDispose]();
    }
    assert.deepEqual(errors, []);
  },
);

browserTest(
  "UI offers no Leave in #general, and says why",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
      path: "/#/dev",
    });
    await waitForMembers(page, ["Ada"]);
    assert.equal(
      await page.$eval("#leave", (b) => (b as HTMLElement).hidden),
      false,
    );
    await page.click('#rooms a[href="#/general"]');
    await page.waitForFunction(() => location.hash === "#/general");
    await page.waitForSelector("#leave", { hidden: true });
    const why = await page.$eval("#leave-note", (note) => ({
      text: note.textContent,
      hidden: (note as HTMLElement).hidden,
    }));
    assert.equal(why.hidden, false);
    assert.match(why.text ?? "", /general/);
    assert.deepEqual(errors, []);
  },
);

browserTest(
  "UI says a room link is invalid and stays in the room it was in",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
      path: "/#/dev",
    });
    await waitForMembers(page, ["Ada"]);
    await page.goto(`${server.origin}/#/Caf%C3%A9%20Talk`);
    const notice = await page.waitForFunction(() => {
      const notice = document.querySelector("#notice") as HTMLElement;
      return !notice.hidden && notice.textContent;
    });
    assert.match(String(await notice.jsonValue()), /“Café Talk”/);
    assert.equal(await page.evaluate(() => location.hash), "#/dev");
    assert.equal(await page.$eval("#room-name", (n) => n.textContent), "dev");
    assert.deepEqual(errors, []);
  },
);

browserTest(
  "UI names every room it could not join, not only the last",
  async () => {
    await using server = startServer({ maxRooms: 2 });
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
    });
    await waitForMembers(page, ["Ada"]);
    for (const room of ["r19", "r20", "r21"]) {
      await page.focus("#join-input");
      await page.keyboard.type(room);
      await page.keyboard.press("Enter");
    }
    // Both refusals are in once both rooms are gone from the list.
    await page.waitForFunction(() =>
      [...document.querySelectorAll("#rooms .room-label")]
        .map((label) => label.textContent).join() === "general,r19"
    );
    const text = await page.$eval("#notice", (node) => node.textContent ?? "");
    assert.match(text, /#r20/);
    assert.match(text, /#r21/);
    assert.deepEqual(await roomLinks(page), ["general", "r19"]);
    assert.deepEqual(errors, []);
  },
);

browserTest(
  "UI shows who joins and leaves a small room, and stops naming them once the room is large",
  async () => {
    await using server = startServer({ largeRoom: 3 });
    await using browser = await launchBrowser();
    const { page, errors } = await browser.openChat(server.origin, {
      name: "Ada",
    });
    await waitForMembers(page, ["Ada"]);
    const lines = () =>
      page.$$eval(
        "#messages .system-line",
        (items) => items.map((item) => item.textContent),
      );
    const bo = new ChatClient(server.wsUrl, { name: "Bo" });
    await bo.join("general").ready;
    await waitForMembers(page, ["Ada", "Bo"]);
    await bo.close();
    await waitForMembers(page, ["Ada"]);
    const clients = [];
    try {
      for (const name of ["Cy", "Dee", "Eve"]) {
        const client = new ChatClient(server.wsUrl, { name });
        clients.push(client);
        await client.join("general").ready;
      }
      await page.waitForFunction(() =>
        document.querySelector("#member-count")?.textContent === "4"
      );
      assert.deepEqual(await lines(), [
        "Bo joined",
        "Bo left",
        "Cy joined",
        "Dee joined",
      ]);
    } finally {
      for (const client of clients) await client.close();
    }
    assert.deepEqual(errors, []);
  },
);
