/**
 * One accepted TCP connection's HTTP, for the accept loop (`tcp_server.ts`,
 * `_connection_requests.ts`): `Deno.serveHttp` (no longer in Deno 2's types,
 * still in its runtime), closing, and the answer to a connection over its
 * address's cap.
 *
 * @module
 */

/** One request of an HTTP connection, as `Deno.serveHttp` yields it. */
export interface RequestEvent {
  readonly request: Request;
  respondWith(response: Response): Promise<void>;
}

/** An HTTP connection served by `Deno.serveHttp`. */
export interface HttpConnection extends AsyncIterable<RequestEvent> {
  close(): void;
}

type ServeHttp = (conn: Deno.Conn) => HttpConnection;

/**
 * `Deno.serveHttp`, when the runtime has it: Deno 2 removed it from its
 * types but not from its runtime (2.9.6 ships it and prints no warning).
 */
export const serveHttp: ServeHttp | undefined = (() => {
  const candidate = (Deno as unknown as { serveHttp?: unknown }).serveHttp;
  return typeof candidate === "function" ? candidate as ServeHttp : undefined;
})();

/** Whether this runtime can run an own accept loop (`Deno.listen` and `Deno.serveHttp`). */
export function canServeTcp(): boolean {
  return serveHttp !== undefined && typeof Deno.listen === "function";
}

const REFUSAL_BODY =
  "Service unavailable: too many connections from your address\n";
/** The answer to a connection over its address's cap, written before closing it. */
const TOO_MANY_CONNECTIONS = new TextEncoder().encode(
  [
    "HTTP/1.1 503 Service Unavailable",
    "Content-Type: text/plain; charset=utf-8",
    `Content-Length: ${REFUSAL_BODY.length}`,
    "Retry-After: 5",
    "Connection: close",
    "",
    REFUSAL_BODY,
  ].join("\r\n"),
);

/**
 * Closes an HTTP connection that may have closed already.
 *
 * @param http The connection.
 */
export function closeQuietly(http: HttpConnection): void {
  try {
    http.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

/**
 * Closes an accepted connection that may have closed already.
 *
 * @param conn The connection.
 */
export function closeConn(conn: Deno.TcpConn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

/**
 * Answers a connection over its address's cap with 503 and closes it,
 * without reading its request.
 *
 * @param conn The connection refused.
 */
export async function refuse(conn: Deno.TcpConn): Promise<void> {
  try {
    await conn.write(TOO_MANY_CONNECTIONS);
  } catch {
    // The client is gone already; nothing to tell it.
  } finally {
    closeConn(conn);
  }
}
