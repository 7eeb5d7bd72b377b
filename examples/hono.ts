/**
 * The chat inside an existing Hono app: the app keeps its own pages and
 * sign-in, gives its signed-in users chat tokens at `/token`, and routes
 * everything under `/chat` to the chat's handler,
 * mounted there with `basePath`. Hono passes the WebSocket upgrade's
 * response through as it is.
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-env=PORT,CHAT_AUTH_SECRET examples/hono.ts
 * ```
 *
 * @module
 */
import { Hono } from "hono";
import { createHandler } from "../main.ts";
import {
  CHAT_PATH,
  chatOptions,
  homePage,
  Sessions,
  signInPage,
  TOKEN_PATH,
  tokenSecret,
  toSignIn,
} from "./_host.ts";

/** The Hono app, and the chat it owns. */
export interface App extends AsyncDisposable {
  app: Hono;
}

/**
 * Creates the app.
 *
 * @returns The Hono app; dispose it to close the chat's connections.
 */
export function createApp(): App {
  const secret = tokenSecret();
  const sessions = new Sessions(secret);
  const chat = createHandler(chatOptions(secret));
  const app = new Hono();
  app.get("/", (c) => homePage(sessions.userOf(c.req.raw)));
  app.get("/login", () => signInPage());
  app.post("/login", (c) => sessions.signIn(c.req.raw));
  app.get(TOKEN_PATH, (c) => sessions.token(c.req.raw));
  // The chat's page is for signed-in users; its socket has its own rules.
  app.get(
    `${CHAT_PATH}/`,
    (c, next) => sessions.userOf(c.req.raw) ? next() : toSignIn(),
  );
  app.all(CHAT_PATH, (c) => chat(c.req.raw));
  app.all(`${CHAT_PATH}/*`, (c) => chat(c.req.raw));
  return { app, [Symbol.asyncDispose]: chat.shutdown };
}

if (import.meta.main) {
  const port = Number(Deno.env.get("PORT") ?? 8000);
  Deno.serve({ port }, createApp().app.fetch);
}
