/// <reference lib="dom" />
/**
 * Helpers the browser tests share: Debian's Chromium driven by
 * `puppeteer-core` with a fresh profile, chat pages with a chosen name, size
 * and colour scheme, axe-core checks and screenshots.
 *
 * @module
 */
import axe from "axe-core";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { TEST_TIMEOUT_MS } from "../testing/async.ts";

/** Where Chromium is looked for; `CHROMIUM_PATH` overrides it. */
export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ??
  "/usr/bin/chromium";

/** Flags for a quiet, reproducible headless Chromium in a container. */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Folder the tests write screenshots to (git-ignored). */
export const SCREENSHOT_DIR = new URL("./screenshots/", import.meta.url);

/** A desktop and a phone viewport. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844, isMobile: true, hasTouch: true },
} as const;

function chromiumInstalled(): boolean {
  try {
    return Deno.statSync(CHROMIUM_PATH).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Registers a browser test. Without Chromium it fails with a clear message
 * in CI (`CI=true`) and is skipped with a loud warning elsewhere.
 *
 * @param name Test name.
 * @param fn Test body.
 */
export function browserTest(
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
): void {
  const installed = chromiumInstalled();
  if (!installed && Deno.env.get("CI") !== "true") {
    const warning = `WARNING: skipping "${name}": Chromium not found at ` +
      `"${CHROMIUM_PATH}"; install it with "apt-get install chromium"\n`;
    Deno.stderr.writeSync(new TextEncoder().encode(warning));
  }
  Deno.test({
    name,
    ignore: !installed && Deno.env.get("CI") !== "true",
    async fn(t) {
      if (!installed) {
        throw new Error(
          `Cannot run browser test: Chromium not found at "${CHROMIUM_PATH}"; install it with "apt-get install chromium"`,
        );
      }
      await fn(t);
    },
  });
}

/** Options for {@linkcode BrowserSession.openChat}. */
export interface OpenChatOptions {
  /**
   * Display name stored in `localStorage` before the page loads; `null`
   * leaves the page to ask for one.
   *
   * @default {null}
   */
  name?: string | null;
  /**
   * Guest key stored in `localStorage` before the page loads, so that pages
   * in different contexts are the same guest; the page makes one when absent.
   *
   * @default {undefined}
   */
  guestKey?: string;
  /**
   * Path and hash to open, e.g. `/#/dev`.
   *
   * @default {"/"}
   */
  path?: string;
  /**
   * Viewport size.
   *
   * @default {VIEWPORTS.desktop}
   */
  viewport?: keyof typeof VIEWPORTS;
  /**
   * `prefers-color-scheme` to emulate.
   *
   * @default {"light"}
   */
  colorScheme?: "light" | "dark";
  /**
   * Whether to wait until the page reports it is connected.
   *
   * @default {true}
   */
  waitConnected?: boolean;
}

/** One chat tab in its own browser context (its own `localStorage`). */
export interface ChatPage {
  page: Page;
  /** Uncaught page errors and `console.error` lines seen so far. */
  errors: string[];
  /** Texts of `alert`/`confirm`/`prompt` dialogs the page opened. */
  dialogs: string[];
}

/** A running Chromium with a fresh profile; dispose it to close everything. */
export interface BrowserSession extends AsyncDisposable {
  browser: Browser;
  /** Opens the chat at `origin` in a new, isolated browser context. */
  openChat(origin: string, options?: OpenChatOptions): Promise<ChatPage>;
}

/**
 * Starts Chromium headless with a temporary profile folder.
 *
 * @returns The session; `await using` it so the browser and profile go away.
 */
export async function launchBrowser(): Promise<BrowserSession> {
  const profile = await Deno.makeTempDir({ prefix: "chat_e2e_profile_" });
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      userDataDir: profile,
      headless: true,
    });
  } catch (error) {
    await removeProfile(profile);
    throw error;
  }

  async function openChat(
    origin: string,
    options: OpenChatOptions = {},
  ): Promise<ChatPage> {
    const {
      name = null,
      path = "/",
      viewport = "desktop",
      colorScheme = "light",
      waitConnected = true,
      guestKey,
    } = options;
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    page.setDefaultTimeout(TEST_TIMEOUT_MS);
    const chat: ChatPage = { page, errors: [], dialogs: [] };
    page.on("pageerror", (error) => chat.errors.push(String(error)));
    page.on("console", (message) => {
      if (message.type() === "error") chat.errors.push(message.text());
    });
    page.on("dialog", (dialog) => {
      chat.dialogs.push(dialog.message());
      dialog.dismiss().catch(() => {});
    });
    await page.setViewport(VIEWPORTS[viewport]);
    await page.emulateMediaFeatures([
      { name: "prefers-color-scheme", value: colorScheme },
      { name: "prefers-reduced-motion", value: "reduce" },
    ]);
    if (name !== null) {
      await page.evaluateOnNewDocument((stored: string) => {
        if (localStorage.getItem("chat.name") === null) {
          localStorage.setItem("chat.name", stored);
        }
      }, name);
    }
    if (guestKey !== undefined) {
      await page.evaluateOnNewDocument((stored: string) => {
        localStorage.setItem("chat.guest-key", stored);
      }, guestKey);
    }
    await page.goto(new URL(path, origin).href);
    if (waitConnected) await waitForConnected(page);
    return chat;
  }

  return {
    browser,
    openChat,
    async [Symbol.asyncDispose]() {
      try {
        await browser.close();
      } finally {
        await removeProfile(profile);
      }
    },
  };
}

/** Chromium's helpers may still write to the profile briefly after close. */
async function removeProfile(path: string): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      await Deno.remove(path, { recursive: true });
      return;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Waits until the page's status says it is connected. */
export async function waitForConnected(page: Page): Promise<void> {
  await page.waitForSelector('#status[data-state="open"]');
}

/**
 * Types `text` into the composer and presses Enter.
 *
 * @param page The chat page.
 * @param text Message text.
 */
export async function sendMessage(page: Page, text: string): Promise<void> {
  await page.focus("#text");
  await page.keyboard.sendCharacter(text);
  await page.keyboard.press("Enter");
}

/**
 * The texts of the messages shown in the current room, oldest first.
 *
 * @param page The chat page.
 * @returns Every rendered message body.
 */
export function messageTexts(page: Page): Promise<string[]> {
  return page.$$eval(
    "#messages .message .body",
    (bodies) => bodies.map((body) => body.textContent ?? ""),
  );
}

/** In the page: whether a delivered (not pending) message reads exactly `text`. */
function shownDelivered(text: string): boolean {
  return [
    ...document.querySelectorAll("#messages .message:not(.pending) .body"),
  ]
    .some((body) => body.textContent === text);
}

/**
 * Whether a message with exactly `text` is shown and delivered (not pending).
 *
 * @param page The chat page.
 * @param text Message text.
 * @returns Whether it is shown now.
 */
export function isDelivered(page: Page, text: string): Promise<boolean> {
  return page.evaluate(shownDelivered, text);
}

/**
 * Waits until a message with exactly `text` is shown and delivered (not pending).
 *
 * @param page The chat page.
 * @param text Message text.
 */
export async function waitForMessage(page: Page, text: string): Promise<void> {
  await page.waitForFunction(shownDelivered, {}, text);
}

/**
 * Saves a PNG of the viewport to {@linkcode SCREENSHOT_DIR}.
 *
 * @param page The page.
 * @param name File name without extension.
 * @returns The file's path.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = new URL(`${name}.png`, SCREENSHOT_DIR).pathname;
  await page.screenshot({ path: path as `${string}.png` });
  return path;
}

/** One axe-core violation, reduced to what a failure message needs. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core in the page and returns its serious and critical violations.
 *
 * @param page The page to audit.
 * @returns The violations; empty when the page passes.
 */
export async function seriousAxeViolations(
  page: Page,
): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => "axe" in globalThis);
  if (!loaded) await page.addScriptTag({ content: axe.source });
  return await page.evaluate(async () => {
    const { axe: injected } = globalThis as unknown as { axe: typeof axe };
    const result = await injected.run(document, {
      resultTypes: ["violations"],
    });
    return result.violations.filter((violation) =>
      violation.impact === "serious" || violation.impact === "critical"
    ).map((violation) => ({
      id: violation.id,
      impact: violation.impact ?? null,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(" ")),
    }));
  });
}
