/**
 * What the example host apps have of their own, whatever framework serves
 * them: a home page, a sign-in form and cookie sessions. The chat itself is
 * mounted beside them at `/chat`.
 *
 * @module
 */

/** Where each example mounts the chat. */
export const CHAT_PATH = "/chat";

const COOKIE = "host_session";

/** Signed-in users by session id, in memory as an example may keep them. */
export class Sessions {
  #users = new Map<string, string>();

  /** The user signed in with the request's session cookie, if any. */
  userOf(req: Request): string | undefined {
    const cookies = req.headers.get("cookie") ?? "";
    for (const pair of cookies.split(";")) {
      const [name, value] = pair.trim().split("=");
      if (name === COOKIE && value) return this.#users.get(value);
    }
    return undefined;
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
    const id = crypto.randomUUID();
    this.#users.set(id, name);
    return new Response(null, {
      status: 303,
      headers: {
        location: "/",
        "set-cookie": `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`,
      },
    });
  }
}

/** The host's home page: who is signed in, and the way to the chat. */
export function homePage(user: string | undefined): Response {
  const body = user === undefined
    ? `<p>Welcome. <a href="/login">Sign in</a> to chat.</p>`
    : `<p>Signed in as <strong>${escapeHtml(user)}</strong>.</p>
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
