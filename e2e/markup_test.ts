/// <reference lib="dom" />
import assert from "node:assert/strict";
import { startServer } from "../testing/server.ts";
import {
  browserTest,
  launchBrowser,
  sendMessage,
  seriousAxeViolations,
} from "./_browser.ts";

const TEXT = [
  "**Bold**, _italic_ and `code` at https://example.com/docs.",
  "> a quote",
  "```",
  "let x = <b>1</b>;",
  "```",
  "never javascript:alert(1) nor [x](javascript:alert(2))",
].join("\n");

browserTest(
  "UI renders links and a small Markdown subset as elements, never user HTML, with safe links",
  async () => {
    await using server = startServer();
    await using browser = await launchBrowser();
    const ada = await browser.openChat(server.origin, { name: "Ada" });
    const bo = await browser.openChat(server.origin, { name: "Bo" });
    await sendMessage(bo.page, TEXT);
    const body = await ada.page.waitForSelector(
      "#messages .message:last-child .body blockquote",
    );
    assert(body);
    const shown = await ada.page.$eval(
      "#messages .message:last-child .body",
      (node) => ({
        strong: node.querySelector("strong")?.textContent,
        em: node.querySelector("em")?.textContent,
        code: node.querySelector("p code")?.textContent,
        quote: node.querySelector("blockquote")?.textContent,
        pre: node.querySelector("pre code")?.textContent,
        links: [...node.querySelectorAll("a")].map((a) => ({
          href: a.getAttribute("href"),
          text: a.textContent,
          rel: a.rel,
          target: a.target,
        })),
        elements: [...node.querySelectorAll("*")].map((element) =>
          element.tagName.toLowerCase()
        ).sort().join(),
      }),
    );
    assert.deepEqual(shown, {
      strong: "Bold",
      em: "italic",
      code: "code",
      quote: "a quote",
      pre: "let x = <b>1</b>;",
      links: [{
        href: "https://example.com/docs",
        text: "https://example.com/docs",
        rel: "noopener noreferrer",
        target: "_blank",
      }],
      elements: "a,blockquote,code,code,em,p,p,pre,strong",
    });
    for (const colorScheme of ["light", "dark"] as const) {
      await ada.page.emulateMediaFeatures([
        { name: "prefers-color-scheme", value: colorScheme },
      ]);
      assert.deepEqual(await seriousAxeViolations(ada.page), [], colorScheme);
      assert.deepEqual(await seriousAxeViolations(bo.page), [], colorScheme);
    }
    assert.deepEqual([...ada.dialogs, ...bo.dialogs], []);
    assert.deepEqual([...ada.errors, ...bo.errors], []);
  },
);
