/**
 * What every example host app (`examples/`) must do, checked against it on a
 * real port: serve its own pages and sign-in, keep the chat's page for
 * signed-in users, give them chat tokens, and carry the chat at `/chat` with
 * real sockets, where only those tokens get in.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ChatClient } from "../client/mod.ts";
import type { ChatMessage } from "../client/mod.ts";
import { withTimeout } from "./async.ts";

/** Fetches `path` and returns the response with its body read. */
async function get(
  url: string,
  init: RequestInit = {},
): Promise<{ res: Response; text: string }> {
  const res = await fetch(url, { redirect: "manual", ...init });
  return { res, text: await res.text() };
}

/**
 * Serves `handler` on a free loopback port and walks through the app as a
 * user and two chat clients would.
 *
 * @param handler The app's request handler.
 */
export async function checkHostApp(
  handler: (req: Request) => Response | Promise<Response>,
): Promise<void> {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;

  const home = await get(`${origin}/`);
  assert.equal(home.res.status, 200);
  assert.match(home.text, /Sign in/);
  const locked = await get(`${origin}/chat/`);
  assert.equal(locked.res.status, 303, "the chat's page needs a sign-in");
  assert.equal(locked.res.headers.get("location"), "/login");

  /** Signs `name` in through the app's form; returns the session cookie. */
  async function signIn(name: string): Promise<{ cookie: string }> {
    const { res } = await get(`${origin}/login`, {
      method: "POST",
      body: new URLSearchParams({ name }),
    });
    assert.equal(res.status, 303);
    return { cookie: res.headers.get("set-cookie")?.split(";")[0] ?? "" };
  }
  /** The token provider a signed-in page would use: the app's /token. */
  const tokens = (headers: { cookie: string }) => async () => {
    const { res, text } = await get(`${origin}/token`, { headers });
    assert.equal(res.status, 200, text);
    return JSON.parse(text).token as string;
  };

  const headers = await signIn("Ada");
  assert.match((await get(`${origin}/`, { headers })).text, /Signed in as/);
  assert.equal((await get(`${origin}/token`)).res.status, 401);

  const moved = await get(`${origin}/chat`, { headers });
  assert.equal(moved.res.status, 301);
  assert.equal(moved.res.headers.get("location"), `${origin}/chat/`);
  const ui = await get(`${origin}/chat/`, { headers });
  assert.equal(ui.res.status, 200);
  assert.match(ui.text, /<script type="module" src="app\.js">/);
  const config = await get(`${origin}/chat/config.json`);
  assert.deepEqual(JSON.parse(config.text).tokenUrl, "/token");
  const module = await get(`${origin}/chat/client/mod.js`);
  assert.equal(module.res.status, 200);
  assert.match(module.text, /ChatClient/);
  assert.equal((await get(`${origin}/nowhere`)).res.status, 404);

  const url = `${origin}/chat/ws`;
  await using ada = new ChatClient(url, { token: tokens(headers) });
  await using bo = new ChatClient(url, { token: tokens(await signIn("Bo")) });
  const heard = Promise.withResolvers<ChatMessage>();
  const room = bo.join("general");
  room.on("message", heard.resolve);
  await room.ready;
  const ack = await ada.join("general").send("hello through the host");
  const message = await withTimeout(heard.promise, "the message through /chat");
  assert.equal(message.id, ack.id);
  assert.equal(message.user, "Ada");
  assert.equal(message.userId, ada.identity?.id);
  assert.equal(ada.identity?.guest, false);

  // Without the app's token nobody gets in.
  await using stranger = new ChatClient(url, { name: "Eve" });
  const refused = Promise.withResolvers<string>();
  stranger.on("error", ({ error }) => refused.resolve(error.code));
  assert.equal(
    await withTimeout(refused.promise, "the refusal"),
    "auth_required",
  );
  assert.notEqual(stranger.state, "open");
}
