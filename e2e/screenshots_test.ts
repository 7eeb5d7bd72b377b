/// <reference lib="dom" />
import { connectJson, type TestClient } from "../testing/client.ts";
import { startServer } from "../testing/server.ts";
import {
  browserTest,
  launchBrowser,
  screenshot,
  sendMessage,
  waitForMessage,
} from "./_browser.ts";

const CONVERSATION: Array<[string, string]> = [
  ["Grace", "Morning! Did the deploy go out?"],
  ["Linus", "Yes, about ten minutes ago. Rooms and history are live."],
  ["Linus", "Reconnect now resumes from the last message id you saw."],
  ["Grace", "Nice. I'll try it from my phone on the train"],
];

async function say(client: TestClient, room: string, text: string) {
  client.sendJson({ type: "send", room, text });
  await client.nextOfType("message");
}

browserTest(
  "UI screenshots at desktop and phone sizes, light and dark",
  async () => {
    await using server = startServer();
    const grace = await connectJson(`${server.wsUrl}?name=Grace`);
    await using _grace = grace.client;
    const linus = await connectJson(`${server.wsUrl}?name=Linus`);
    await using _linus = linus.client;
    await using browser = await launchBrowser();
    const pages = {
      desktop: (await browser.openChat(server.origin, { name: "Ada" })).page,
      phone: (await browser.openChat(server.origin, {
        name: "Ada",
        viewport: "phone",
      })).page,
    };
    const speakers = { Grace: grace.client, Linus: linus.client };
    for (const [who, text] of CONVERSATION) {
      await say(speakers[who as keyof typeof speakers], "general", text);
    }
    await sendMessage(pages.desktop, "Trying it right now. Looks great!");
    await say(grace.client, "general", "Told you so.");
    await waitForMessage(pages.desktop, "Told you so.");
    await waitForMessage(pages.phone, "Told you so.");

    for (const [viewport, page] of Object.entries(pages)) {
      await page.evaluate(() => {
        (document.activeElement as HTMLElement | null)?.blur();
        return document.fonts.ready;
      });
      for (const colorScheme of ["light", "dark"] as const) {
        await page.emulateMediaFeatures([
          { name: "prefers-color-scheme", value: colorScheme },
        ]);
        await screenshot(page, `${viewport}-${colorScheme}`);
      }
    }
  },
);
