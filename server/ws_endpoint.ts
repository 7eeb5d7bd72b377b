/**
 * The `/ws` endpoint's admission checks: method, upgrade, origin, capacity,
 * subprotocol and display name, each refused with its own HTTP status.
 *
 * @module
 */
import type { Config } from "./config.ts";
import {
  type ConnectionMode,
  JSON_PROTOCOL,
  normalizeName,
  ProtocolError,
} from "./protocol.ts";

/** What an admitted upgrade request asked for. */
export interface Admission {
  mode: ConnectionMode;
  /** Requested display name (`?name=`), normalised, if any. */
  name?: string;
}

function refuse(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/** The only WebSocket version there is (RFC 6455). */
const WEBSOCKET_VERSION = "13";

/**
 * Whether `key` is a valid `Sec-WebSocket-Key`: 16 random bytes in base64
 * (RFC 6455 section 4.2.1). Deno's upgrade accepts any non-empty value, but
 * the RFC requires a 400 for anything else.
 *
 * @param key The header's value.
 * @returns Whether it decodes to exactly 16 bytes.
 */
export function isWebSocketKey(key: string | null): boolean {
  if (key === null) return false;
  const trimmed = key.trim();
  if (!/^[A-Za-z0-9+/]{22}==$/.test(trimmed)) return false;
  try {
    return atob(trimmed).length === 16;
  } catch {
    return false;
  }
}

/**
 * Whether a browser page at `origin` may open a socket: its own origin
 * (same host as the request) always may, others only when listed. A request
 * without `Origin` does not come from a browser page and cannot be a
 * cross-site hijack, so it is allowed.
 *
 * @param req The upgrade request.
 * @param allowedOrigins Extra origins, or `*` for any.
 * @returns Whether the origin is allowed.
 */
export function isOriginAllowed(
  req: Request,
  allowedOrigins: readonly string[],
): boolean {
  const origin = req.headers.get("origin");
  if (origin === null) return true;
  if (allowedOrigins.includes("*") || allowedOrigins.includes(origin)) {
    return true;
  }
  try {
    return new URL(origin).host === req.headers.get("host");
  } catch {
    return false;
  }
}

/**
 * Checks an upgrade request to `/ws` before it is upgraded.
 *
 * @param req The request.
 * @param config Limits and allowed origins.
 * @param connectionCount Connections open now.
 * @returns What to accept, or the refusal to send: 405, 426, 400, 403 or 503.
 *
 * @example A plain GET is told to upgrade
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "./settings.ts";
 * import { admitUpgrade } from "./ws_endpoint.ts";
 *
 * const result = admitUpgrade(new Request("http://localhost/ws"), defaultConfig(), 0);
 * assert(result instanceof Response);
 * assert.equal(result.status, 426);
 * await result.body?.cancel();
 * ```
 */
export function admitUpgrade(
  req: Request,
  config: Config,
  connectionCount: number,
): Admission | Response {
  if (req.method !== "GET") {
    return refuse(405, "Method not allowed: use GET to open a WebSocket", {
      allow: "GET",
    });
  }
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return refuse(426, "Upgrade required: connect with a WebSocket client", {
      upgrade: "websocket",
    });
  }
  const version = req.headers.get("sec-websocket-version");
  if (version?.trim() !== WEBSOCKET_VERSION) {
    return refuse(
      426,
      `Upgrade required: unsupported Sec-WebSocket-Version "${
        version ?? ""
      }"; use ${WEBSOCKET_VERSION}`,
      { "sec-websocket-version": WEBSOCKET_VERSION },
    );
  }
  if (!isWebSocketKey(req.headers.get("sec-websocket-key"))) {
    return refuse(
      400,
      "Bad request: Sec-WebSocket-Key must be 16 bytes in base64",
    );
  }
  if (!isOriginAllowed(req, config.allowedOrigins)) {
    return refuse(
      403,
      `Forbidden: origin "${req.headers.get("origin")}" is not allowed`,
    );
  }
  if (connectionCount >= config.maxConnections) {
    return refuse(503, "Service unavailable: too many connections", {
      "retry-after": "5",
    });
  }
  const offered = (req.headers.get("sec-websocket-protocol") ?? "")
    .split(",").map((protocol) => protocol.trim()).filter(Boolean);
  if (offered.length > 0 && !offered.includes(JSON_PROTOCOL)) {
    return refuse(
      400,
      `Bad request: unsupported subprotocol; offer "${JSON_PROTOCOL}" or none`,
    );
  }
  const admission: Admission = {
    mode: offered.length > 0 ? "json" : "plain",
  };
  const name = new URL(req.url).searchParams.get("name");
  if (name !== null) {
    try {
      admission.name = normalizeName(name);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      return refuse(400, `Bad request: ${error.message}`);
    }
  }
  return admission;
}
