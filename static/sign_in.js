// How the page signs in: with a token from the host application's token URL
// (fetched with the browser's cookies, before connecting and again before
// the token expires), or as a guest with a key this browser keeps, so it is
// the same guest across reconnects and reloads (docs/authentication.md).

const GUEST_KEY = "chat.guest-key";
/** Refresh a token this long before it expires, at most half its life. */
const REFRESH_AHEAD_MS = 60_000;

/**
 * The page's credential for one connection's `auth` request.
 * @typedef {{ token: string } | { guestKey: string }} Credential
 */

export class SignIn {
  /** @type {string | null} */
  #tokenUrl;
  /** @type {string | null} */
  #token = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;

  /**
   * @param {{ tokenUrl: string | null }} config what `/config.json` says
   */
  constructor(config) {
    this.#tokenUrl = config.tokenUrl;
  }

  /** Whether this page gets tokens from the host application. */
  get usesTokens() {
    return this.#tokenUrl !== null;
  }

  /**
   * The credential to send: the last token fetched, or the guest key.
   * @returns {Credential}
   */
  credential() {
    return this.#token !== null
      ? { token: this.#token }
      : { guestKey: guestKey() };
  }

  /**
   * Fetches a fresh token from the host application; without one (no token
   * URL, signed out there, unreachable) the page goes on as a guest.
   * @returns {Promise<boolean>} whether a token was fetched
   */
  async refresh() {
    if (this.#tokenUrl === null) return false;
    try {
      const response = await fetch(this.#tokenUrl, {
        credentials: "include",
        cache: "no-store",
      });
      const body = response.ok ? await response.json() : null;
      this.#token = typeof body?.token === "string" ? body.token : null;
    } catch {
      this.#token = null;
    }
    return this.#token !== null;
  }

  /**
   * Fetches a new token ahead of `expiresAt` and hands it to `send`, which
   * sends `auth` with it on the open connection.
   * @param {number | undefined} expiresAt milliseconds since the epoch
   * @param {(credential: Credential) => void} send
   */
  renewBefore(expiresAt, send) {
    clearTimeout(this.#timer);
    if (expiresAt === undefined || this.#tokenUrl === null) return;
    const left = expiresAt - Date.now();
    const wait = Math.max(0, left - Math.min(REFRESH_AHEAD_MS, left / 2));
    this.#timer = setTimeout(async () => {
      if (await this.refresh()) send(this.credential());
    }, wait);
  }
}

/**
 * This browser's guest key, made once and kept in `localStorage`.
 * @returns {string}
 */
function guestKey() {
  let key = localStorage.getItem(GUEST_KEY);
  if (!key) {
    key = crypto.randomUUID();
    localStorage.setItem(GUEST_KEY, key);
  }
  return key;
}

/**
 * Reads what the server tells the page before it connects.
 * @returns {Promise<{ tokenUrl: string | null, guests: string }>}
 */
export async function loadConfig() {
  try {
    const response = await fetch("/config.json", { cache: "no-store" });
    if (response.ok) return await response.json();
  } catch {
    // An older server without it: guests, no tokens.
  }
  return { tokenUrl: null, guests: "on" };
}
