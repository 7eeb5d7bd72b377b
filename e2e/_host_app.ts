/**
 * A host application with its own login, which issues chat tokens to its
 * users, for the browser tests that sign in.
 *
 * @module
 */
import type { Config } from "../server/config.ts";
import { startServer, type TestServer } from "../testing/server.ts";
import { signTestToken, TEST_SECRET } from "../testing/tokens.ts";

/** A running host application; dispose it to stop it. */
export interface HostApp extends AsyncDisposable {
  origin: string;
  /** Tokens issued so far, with their expiry (seconds since the epoch). */
  issued: { sub: string; exp: number }[];
  /** Resolves once `count` tokens have been issued. */
  untilIssued(count: number): Promise<void>;
  /** Signs `sub` out: their token requests are refused from now on. */
  signOut(sub: string): void;
}

/**
 * Serves `/login?user=ID&name=NAME&role=ROLE` (a session cookie, then off to
 * the chat) and `/token` (a token for the session's user, to the chat page's
 * origin, with the browser's cookies), as a host application would.
 *
 * @param chatOrigin The chat's origin, once it is known.
 * @param ttlSeconds How long each token lasts.
 * @returns The running app.
 */
export function startHostApp(
  chatOrigin: () => string,
  ttlSeconds = 3600,
): HostApp {
  const issued: { sub: string; exp: number }[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const signedOut = new Set<string>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      if (url.pathname === "/login") {
        const session = JSON.stringify(
          ["user", "name", "role"].map((key) => url.searchParams.get(key)),
        );
        return new Response(null, {
          status: 302,
          headers: {
            location: `${chatOrigin()}/`,
            "set-cookie": `session=${
              encodeURIComponent(session)
            }; Path=/; SameSite=Lax`,
          },
        });
      }
      const cors = {
        "access-control-allow-origin": chatOrigin(),
        "access-control-allow-credentials": "true",
      };
      const session = req.headers.get("cookie")?.match(/session=([^;]+)/)?.[1];
      const [sub, name, role] = session
        ? JSON.parse(decodeURIComponent(session)) as (string | null)[]
        : [];
      if (url.pathname !== "/token" || !sub || signedOut.has(sub)) {
        return new Response("Not signed in\n", { status: 401, headers: cors });
      }
      const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
      const token = await signTestToken({
        sub,
        name,
        exp,
        ...(role ? { role } : {}),
      });
      issued.push({ sub, exp });
      for (const waiter of waiters) {
        if (issued.length >= waiter.count) waiter.resolve();
      }
      return Response.json({ token }, { headers: cors });
    },
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    issued,
    untilIssued(count) {
      if (issued.length >= count) return Promise.resolve();
      const { promise, resolve } = Promise.withResolvers<void>();
      waiters.push({ count, resolve });
      return promise;
    },
    signOut: (sub) => void signedOut.add(sub),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** A chat server that verifies the tokens of a host application beside it. */
export interface SignedInChat extends AsyncDisposable {
  host: HostApp;
  server: TestServer;
}

/**
 * Starts a host application and a chat server whose page fetches its tokens
 * from it (`CHAT_AUTH_TOKEN_URL`).
 *
 * @param config More settings of the chat server.
 * @param ttlSeconds How long each token lasts.
 * @returns Both; dispose it to stop them.
 */
export function startSignedInChat(
  config: Partial<Config> = {},
  ttlSeconds = 3600,
): SignedInChat {
  let chatOrigin = "";
  const host = startHostApp(() => chatOrigin, ttlSeconds);
  const server = startServer({
    authSecret: TEST_SECRET,
    authTokenUrl: `${host.origin}/token`,
    ...config,
  });
  chatOrigin = server.origin;
  return {
    host,
    server,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await host[Symbol.asyncDispose]();
    },
  };
}
