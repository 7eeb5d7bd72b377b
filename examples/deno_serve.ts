/**
 * The chat inside an existing app served by plain `Deno.serve`: the app keeps
 * its own pages and sign-in, gives its signed-in users chat tokens at
 * `/token`, and hands everything under `/chat` to the chat's handler,
 * mounted there with `basePath`.
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-env=PORT,CHAT_AUTH_SECRET examples/deno_serve.ts
 * ```
 *
 * @module
 */
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

/** The app's handler, which owns the chat's connections. */
export interface App extends AsyncDisposable {
  (req: Request): Promise<Response>;
}

/**
 * Creates the app.
 *
 * @returns Its handler; dispose it to close the chat's connections.
 */
export function createApp(): App {
  const secret = tokenSecret();
  const sessions = new Sessions(secret);
  const chat = createHandler(chatOptions(secret));

  async function handler(req: Request): Promise<Response> {
    const { pathname } = new URL(req.url);
    if (pathname === "/") return homePage(sessions.userOf(req));
    if (pathname === "/login") {
      return req.method === "POST" ? await sessions.signIn(req) : signInPage();
    }
    if (pathname === TOKEN_PATH) return await sessions.token(req);
    if (pathname === CHAT_PATH || pathname.startsWith(`${CHAT_PATH}/`)) {
      // The chat's page is for signed-in users; its socket has its own rules.
      if (pathname === `${CHAT_PATH}/` && !sessions.userOf(req)) {
        return toSignIn();
      }
      return await chat(req);
    }
    return new Response("Not found\n", { status: 404 });
  }

  return Object.assign(handler, { [Symbol.asyncDispose]: chat.shutdown });
}

if (import.meta.main) {
  const port = Number(Deno.env.get("PORT") ?? 8000);
  Deno.serve({ port }, createApp());
}
