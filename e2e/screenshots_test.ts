/// <reference lib="dom" />
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { connectJson, type TestClient } from "../testing/client.ts";
import { startServer } from "../testing/server.ts";
import {
  browserTest,
  launchBrowser,
  messageTexts,
  screenshot,
  sendMessage,
  seriousAxeViolations,
  VIEWPORTS,
  waitForMessage,
} from "./_browser.ts";

const CONVERSATION: Array<[string, string]> = [
  ["Grace", "Morning! Did the deploy go out?"],
  ["Linus", "Yes, about ten minutes ago. Rooms and history are **live**."],
  ["Linus", "Release notes: https://example.com/notes — see `resume`."],
  ["Grace", "Nice. I'll try it from my phone on the train"],
];
const FROM_ADA = "Trying it right now. Looks grat!";
const EDITED = "Trying it right now. Looks great!";
const LAST = "@Ada told you so.";
/** What the bodies read once rendered (Markdown markers gone). */
const SHOWN = [
  "Morning! Did the deploy go out?",
  "Yes, about ten minutes ago. Rooms and history are live.",
  "Release notes: https://example.com/notes — see resume.",
  "Nice. I'll try it from my phone on the train",
  EDITED,
  LAST,
];

async function say(client: TestClient, room: string, text: string) {
  client.sendJson({ type: "send", room, text });
  await client.nextOfType("message");
}

/** Width and height from a PNG's header (its IHDR chunk). */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  assert.deepEqual([...bytes.subarray(0, 8)], signature, "a PNG file");
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function memberNames(page: Page): Promise<string[]> {
  return page.$$eval(
    "#members .member-name",
    (names) => names.map((name) => name.textContent ?? ""),
  );
}

function background(page: Page): Promise<string> {
  return page.evaluate(() =>
    getComputedStyle(document.documentElement).backgroundColor
  );
}

browserTest(
  "UI screenshots show a conversation with formatting, an edit, a mention, a join and someone typing, at desktop and phone sizes, light and dark, with no serious axe violations",
  async () => {
    // A long typing interval keeps "Linus is typing…" up for every shot.
    await using server = startServer({ typingInterval: 60_000 });
    const grace = await connectJson(`${server.wsUrl}?name=Grace`);
    await using _grace = grace.client;
    await using browser = await launchBrowser();
    // Ada on two devices: one guest, as her browser's key makes her.
    const guestKey = crypto.randomUUID();
    const chats = {
      desktop: await browser.openChat(server.origin, { name: "Ada", guestKey }),
      phone: await browser.openChat(server.origin, {
        name: "Ada",
        guestKey,
        viewport: "phone",
      }),
    };
    // Linus arrives while Ada is there: the room says so.
    const linus = await connectJson(`${server.wsUrl}?name=Linus`);
    await using _linus = linus.client;
    const speakers = { Grace: grace.client, Linus: linus.client };
    for (const [who, text] of CONVERSATION) {
      await say(speakers[who as keyof typeof speakers], "general", text);
    }
    // Ada fixes a typo with ↑.
    const { page: desktop } = chats.desktop;
    await sendMessage(desktop, FROM_ADA);
    await waitForMessage(desktop, FROM_ADA);
    await desktop.keyboard.press("ArrowUp");
    await desktop.waitForSelector("#editing:not([hidden])");
    await desktop.$eval(
      "#text",
      (box) => (box as HTMLTextAreaElement).select(),
    );
    await desktop.keyboard.sendCharacter(EDITED);
    await desktop.keyboard.press("Enter");
    await say(grace.client, "general", LAST);
    linus.client.sendJson({ type: "typing", room: "general" });

    for (const [viewport, { page, errors }] of Object.entries(chats)) {
      await waitForMessage(page, LAST);
      await page.waitForFunction(() =>
        document.querySelector("#typing")?.textContent === "Linus is typing…" &&
        document.querySelector("#messages .edited") !== null
      );
      assert.deepEqual(await messageTexts(page), SHOWN, viewport);
      assert.deepEqual(await memberNames(page), ["Ada", "Grace", "Linus"]);
      await page.evaluate(() => {
        (document.activeElement as HTMLElement | null)?.blur();
        return document.fonts.ready;
      });
      const backgrounds = new Set<string>();
      for (const colorScheme of ["light", "dark"] as const) {
        await page.emulateMediaFeatures([
          { name: "prefers-color-scheme", value: colorScheme },
        ]);
        backgrounds.add(await background(page));
        const violations = await seriousAxeViolations(page);
        assert.deepEqual(violations, [], `${viewport}, ${colorScheme}`);
        const path = await screenshot(page, `${viewport}-${colorScheme}`);
        const size = pngSize(await Deno.readFile(path));
        const { width, height } = VIEWPORTS[viewport as keyof typeof chats];
        assert.deepEqual(size, { width, height }, path);
      }
      assert.equal(backgrounds.size, 2, `${viewport}: dark differs from light`);
      assert.deepEqual(errors, [], viewport);
    }
  },
);
