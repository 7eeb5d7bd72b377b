/// <reference lib="dom" />
import assert from "node:assert/strict";
import { ChatClient } from "../client/mod.ts";
import { startServer } from "../testing/server.ts";
import {
  browserTest,
  launchBrowser,
  seriousAxeViolations,
  waitForMessage,
} from "./_browser.ts";

browserTest(
  "UI lists the public rooms with member counts and activity, and joins one from the list",
  async () => {
    await using server = startServer();
    await using bo = new ChatClient(server.wsUrl, { name: "Bo" });
    await using cy = new ChatClient(server.wsUrl, { name: "Cy" });
    const dev = bo.join("dev");
    await Promise.all([
      dev.ready,
      cy.join("dev").ready,
      cy.join("design").ready,
    ]);
    await dev.send("welcome to dev");
    await using browser = await launchBrowser();
    for (const viewport of ["desktop", "phone"] as const) {
      const { page, errors } = await browser.openChat(server.origin, {
        name: "Ada",
        viewport,
      });
      if (viewport === "phone") await page.click("#menu");
      await page.click("#browse");
      await page.waitForSelector("#directory[open] .directory-room");
      const rows = await page.$$eval(
        "#directory .directory-room",
        (items) =>
          items.map((item) => ({
            name: item.querySelector(".directory-name")?.textContent,
            details: item.querySelector(".hint")?.textContent,
            button: item.querySelector("button")?.getAttribute("aria-label"),
          })),
      );
      assert.deepEqual(rows, [
        {
          name: "#dev",
          details: "2 members · Active just now",
          button: "Join #dev",
        },
        {
          name: "#design",
          details: "1 member · No messages yet",
          button: "Join #design",
        },
        {
          name: "#general",
          details: "1 member · No messages yet",
          button: "Open #general",
        },
      ]);
      for (const colorScheme of ["light", "dark"] as const) {
        await page.emulateMediaFeatures([
          { name: "prefers-color-scheme", value: colorScheme },
        ]);
        assert.deepEqual(
          await seriousAxeViolations(page),
          [],
          `${viewport}, ${colorScheme}`,
        );
      }
      await page.focus("#directory-filter");
      await page.keyboard.type("dev");
      await page.waitForFunction(() =>
        document.querySelectorAll("#directory .directory-room").length === 1
      );
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#directory:not([open])");
      await page.waitForFunction(() => location.hash === "#/dev");
      await waitForMessage(page, "welcome to dev");
      assert.equal(
        await page.evaluate(() => document.activeElement?.id),
        "text",
      );
      assert.deepEqual(errors, []);
      await page.close();
      // Gone from #dev before the next page lists it: only Bo and Cy stay.
      await server.untilConnections(2);
    }
  },
);
