// How the page signs in (docs/authentication.md): with tokens from the host
// application's token URL, fetched with the browser's cookies (the client
// library asks again before each token expires), or as a guest with a key
// this browser keeps, so it is the same guest across reconnects and reloads
// and a message re-sent from its outbox is never stored twice.

const GUEST_KEY = "chat.guest-key";

/**
 * Reads what the server tells the page before it connects.
 * @returns {Promise<{ tokenUrl: string | null, guests: string }>}
 */
async function loadConfig() {
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) return await response.json();
  } catch {
    // An older server without it: guests, no tokens.
  }
  return { tokenUrl: null, guests: "on" };
}

/**
 * A token provider for the client: each call fetches a fresh token from the
 * host application, or fails when the user is not signed in there.
 * @param {string} tokenUrl
 * @returns {() => Promise<string>}
 */
function tokenProvider(tokenUrl) {
  return async () => {
    const response = await fetch(tokenUrl, {
      credentials: "include",
      cache: "no-store",
    });
    const body = response.ok ? await response.json() : null;
    if (typeof body?.token !== "string") {
      throw new Error(`Cannot get a token: ${response.status}`);
    }
    return body.token;
  };
}

/**
 * This browser's guest key, made once and kept in `localStorage`.
 * @returns {string}
 */
export function guestKey() {
  let key = localStorage.getItem(GUEST_KEY);
  if (!key) {
    key = crypto.randomUUID();
    localStorage.setItem(GUEST_KEY, key);
  }
  return key;
}

/**
 * A token provider when the host application has signed this browser in,
 * else `undefined`: the page then chats as a guest.
 * @returns {Promise<(() => Promise<string>) | undefined>}
 */
export async function signedInTokens() {
  const { tokenUrl } = await loadConfig();
  if (!tokenUrl) return undefined;
  const provider = tokenProvider(tokenUrl);
  try {
    await provider();
    return provider;
  } catch {
    return undefined;
  }
}
