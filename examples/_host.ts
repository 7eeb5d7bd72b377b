/**
 * What the example host apps have of their own, whatever framework serves
 * them: a home page, a sign-in form, cookie sessions, and chat tokens for
 * their signed-in users. The chat itself is mounted beside them at `/chat`,
 * verifying those tokens with the app's secret.
 *
 * @module
 */
import { SignJWT } from "jose";
import type { HandlerOptions } from "../main.ts";

/** Where each example mounts the chat. */
export const CHAT_PATH = "/chat";
/** Where the chat's page fetches a token for the signed-in user. */
export const TOKEN_PATH = "/token";
/** How long a chat token lasts; the chat's page fetches a new one before it ends. */
const TOKEN_LIFETIME = "10m";

const COOKIE = "host_session";

/** A user of the host app. */
export interface HostUser {
  /** The app's id for the user, which the chat knows them by. */
  id: string;
  /** The display name. */
  name: string;
}

/**
 * The chat's options for a host app: mounted at `/chat`, verifying tokens
 * signed with `secret`, and open to signed-in users only.
 *
 * @param secret The secret the app signs chat tokens with.
 * @returns The options for `createHandler()`.
 */
export function chatOptions(secret: string): HandlerOptions {
  return {
    basePath: CHAT_PATH,
    config: { authSecret: secret, authTokenUrl: TOKEN_PATH, guests: "off" },
  };
}

/**
 * The secret to sign chat tokens with: `CHAT_AUTH_SECRET` when set, else a
 * random one for this process (the app both signs and verifies).
 */
export function tokenSecret(): string {
  const configured = Deno.env.get("CHAT_AUTH_SECRET");
  if (configured) return configured;
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

/** Signed-in users by session id, in memory as an example may keep them. */
export class Sessions {
  #secret: Uint8Array;
  #sessions = new Map<string, HostUser>();
  /** Users by name: signing in with a name again is the same user. */
  #users = new Map<string, HostUser>();

  /** @param secret The secret chat tokens are signed with. */
  constructor(secret: string) {
    this.#secret = new TextEncoder().encode(secret);
  }

  /** The user signed in with the request's session cookie, if any. */
  userOf(req: Request): HostUser | undefined {
    const cookies = req.headers.get("cookie") ?? "";
    for (const pair of cookies.split(";")) {
      const [name, value] = pair.trim().split("=");
      if (name === COOKIE && value) return this.#sessions.get(value);
    }
    return undefined;
  }

  /**
   * Answers the chat page's token request: a short-lived token naming the
   * signed-in user, or 401.
   *
   * @param req The request, with the session cookie.
   * @returns `{ "token": "…" }`, or 401 without a session.
   */
  async token(req: Request): Promise<Response> {
    const user = this.userOf(req);
    if (user === undefined) {
      return Response.json({ error: "Not signed in" }, { status: 401 });
    }
    const token = await new SignJWT({ name: user.name })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(TOKEN_LIFETIME)
      .sign(this.#secret);
    return Response.json({ token }, {
      headers: { "cache-control": "no-store" },
    });
  }

  /**
   * Answers the sign-in form: a session for the name given, then home.
   *
   * @param req The form's POST.
   * @returns A redirect that sets the session cookie, or the form again.
   */
  async signIn(req: Request): Promise<Response> {
    const name = String((await req.formData()).get("name") ?? "").trim();
    if (name === "" || name.length > 32) {
      const form = signInForm("Enter a name of 1 to 32 characters.");
      return page("Sign in", form, 400);
    }
    let user = this.#users.get(name);
    if (user === undefined) {
      user = { id: crypto.randomUUID(), name };
      this.#users.set(name, user);
    }
    const session = crypto.randomUUID();
    this.#sessions.set(session, user);
    return new Response(null, {
      status: 303,
      headers: {
        location: "/",
        "set-cookie": `${COOKIE}=${session}; Path=/; HttpOnly; SameSite=Lax`,
      },
    });
  }
}

/** The host's home page: who is signed in, and the way to the chat. */
export function homePage(user: HostUser | undefined): Response {
  const body = user === undefined
    ? `<p>Welcome. <a href="/login">Sign in</a> to chat.</p>`
    : `<p>Signed in as <strong>${escapeHtml(user.name)}</strong>.</p>
<p><a href="${CHAT_PATH}/">Open the chat</a></p>`;
  return page("Host app", body);
}

/** The sign-in form. */
export function signInPage(): Response {
  return page("Sign in", signInForm());
}

/**
 * Sends visitors who are not signed in to the sign-in form.
 *
 * @returns The redirect.
 */
export function toSignIn(): Response {
  return new Response(null, { status: 303, headers: { location: "/login" } });
}

function signInForm(error = ""): string {
  return `<form method="post" action="/login">
<label>Name <input name="name" maxlength="32" required></label>
<button>Sign in</button>
${error === "" ? "" : `<p role="alert">${escapeHtml(error)}</p>`}
</form>`;
}

function page(title: string, body: string, status = 200): Response {
  return new Response(
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body><h1>${title}</h1>
${body}
</body></html>`,
    { status, headers: { "content-type": "text/html; charset=utf-8" } },
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
