/**
 * Calling the server API as a host application's backend would, for tests.
 *
 * @module
 */

/** The key test servers' APIs take (`CHAT_API_KEY`). */
export const TEST_API_KEY = "a test server API key, long enough";

/** What a call answered. */
export interface ApiAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON body; `undefined` for an empty one. */
  body: unknown;
}

/** Options of one call. */
export interface CallOptions {
  /** A JSON body. */
  body?: unknown;
  /**
   * The key; `null` sends no `Authorization` header.
   *
   * @default {TEST_API_KEY}
   */
  key?: string | null;
  /** More request headers. */
  headers?: Record<string, string>;
}

/**
 * Calls `method path` on `origin` and reads the answer whole.
 *
 * @param origin `http://host:port`.
 * @param method The HTTP method.
 * @param path The path, e.g. `/api/rooms`.
 * @param options Body, key and headers.
 * @returns The status, headers and parsed body.
 */
export async function callApi(
  origin: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<ApiAnswer> {
  const { body, key = TEST_API_KEY, headers = {} } = options;
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: {
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? undefined : JSON.parse(text),
  };
}

/**
 * The `error.code` of an answer's body, if it has one.
 *
 * @param answer A call's answer.
 * @returns The code, or `undefined`.
 */
export function errorCode(answer: ApiAnswer): string | undefined {
  const { body } = answer;
  if (typeof body !== "object" || body === null || !("error" in body)) {
    return undefined;
  }
  const { error } = body;
  return typeof error === "object" && error !== null && "code" in error
    ? String(error.code)
    : undefined;
}
