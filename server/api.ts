/**
 * The server API for the host application's backend, under `/api/`: a
 * bearer key (`CHAT_API_KEY`, compared in constant time), JSON bodies within
 * `CHAT_API_MAX_BODY_BYTES`, the routes of `api_routes.ts` and
 * `api_moderation_routes.ts`, and every refusal as a status with a JSON
 * error body and a stable code. `GET /api/openapi.json` describes it all.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { log } from "../observability/log.ts";
import { MODERATION_ROUTES } from "./api_moderation_routes.ts";
import {
  type ApiContext,
  ApiError,
  type ApiRequest,
  type Route,
} from "./api_route.ts";
import { ROOM_ROUTES } from "./api_routes.ts";
import { openApiDocument } from "./openapi.ts";

/** Where the API's paths start. */
export const API_PREFIX = "/api/";

/** The route of the OpenAPI document itself, which needs no key. */
const DOCUMENT_ROUTE: Route = {
  method: "GET",
  path: "/api/openapi.json",
  operationId: "readOpenApiDocument",
  tag: "meta",
  summary: "Read this OpenAPI 3.1 document",
  public: true,
  responses: {
    200: { description: "The document", schema: { type: "object" } },
  },
  handle: () => Promise.resolve({ status: 200, body: document() }),
};

/** Every route of the API, in the order the document lists them. */
export const ROUTES: readonly Route[] = [
  DOCUMENT_ROUTE,
  ...ROOM_ROUTES,
  ...MODERATION_ROUTES,
];

let cachedDocument: ReturnType<typeof openApiDocument> | undefined;

/** The OpenAPI document of {@linkcode ROUTES}, built once. */
function document(): ReturnType<typeof openApiDocument> {
  return cachedDocument ??= openApiDocument(ROUTES);
}

function respond(status: number, body: unknown, headers = {}): Response {
  return Response.json(body, {
    status,
    headers: { "cache-control": "no-store", ...headers },
  });
}

function refuse(error: ApiError, headers = {}): Response {
  return respond(
    error.status,
    { error: { code: error.code, message: error.message } },
    headers,
  );
}

/** A route's path template split into segments, `{name}` marking a parameter. */
function match(
  template: string,
  segments: readonly string[],
): Record<string, string> | undefined {
  const parts = template.split("/");
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i]!;
    if (part.startsWith("{")) {
      try {
        params[part.slice(1, -1)] = decodeURIComponent(segment);
      } catch {
        throw new ApiError(
          400,
          "bad_request",
          `Cannot read path: "${segment}" is not percent-encoded text`,
        );
      }
      if (params[part.slice(1, -1)] === "") return undefined;
    } else if (part !== segment) return undefined;
  }
  return params;
}

/**
 * Reads a JSON body of at most `maxBytes` bytes.
 *
 * @returns The value, or `undefined` for an empty body.
 * @throws {ApiError} 413, 415 or 400 `bad_json`.
 */
async function readBody(req: Request, maxBytes: number): Promise<unknown> {
  if (req.body === null) return undefined;
  const declared = Number(req.headers.get("content-length") ?? 0);
  const tooLarge = new ApiError(
    413,
    "payload_too_large",
    `Cannot read body: larger than ${maxBytes} bytes`,
  );
  if (declared > maxBytes) {
    await req.body.cancel();
    throw tooLarge;
  }
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge;
    chunks.push(new Uint8Array(chunk));
  }
  if (size === 0) return undefined;
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      'Cannot read body: send JSON with "Content-Type: application/json"',
    );
  }
  try {
    return JSON.parse(new TextDecoder().decode(await new Blob(chunks).bytes()));
  } catch {
    throw new ApiError(400, "bad_json", "Cannot read body: not valid JSON");
  }
}

/**
 * The answer under `/api/` where the API is not: off (no `CHAT_API_KEY`), or
 * served on `CHAT_API_PORT` alone.
 *
 * @param config The settings.
 * @returns 404 with a JSON error body saying which.
 */
export function apiElsewhere(
  config: Pick<ApiContext["config"], "apiKey" | "apiPort">,
): Response {
  return refuse(
    new ApiError(
      404,
      "not_found",
      config.apiKey === ""
        ? "Cannot find the server API: it is off; set CHAT_API_KEY to turn it on"
        : "Cannot find the server API on this port: it is served on CHAT_API_PORT",
    ),
  );
}

/** Options for {@linkcode createApi}. */
export interface ApiOptions extends ApiContext {
  /** The bearer key calls must present. */
  apiKey: string;
}

/**
 * Creates the API's request handler.
 *
 * @param options The key, and what the routes act with.
 * @returns The handler, for requests whose path starts with {@linkcode API_PREFIX}.
 */
export function createApi(
  options: ApiOptions,
): (req: Request) => Promise<Response> {
  const { apiKey, ...context } = options;
  // Digests have one length, so comparing them takes the same time
  // whatever key is presented.
  const expected = createHash("sha256").update(apiKey).digest();
  const maxBytes = context.config.apiMaxBodyBytes;

  function authorized(header: string | null): boolean {
    const presented = /^Bearer (.+)$/i.exec(header ?? "")?.[1] ?? "";
    const digest = createHash("sha256").update(presented).digest();
    return timingSafeEqual(digest, expected) && presented !== "";
  }

  async function serve(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const segments = url.pathname.split("/");
    const found = ROUTES.map((route) => ({
      route,
      params: match(route.path, segments),
    })).filter(({ params }) => params !== undefined);
    const chosen = found.find(({ route }) => route.method === req.method);
    if (
      !chosen?.route.public && !authorized(req.headers.get("authorization"))
    ) {
      return refuse(
        new ApiError(
          401,
          "unauthorized",
          'Cannot call the API: send "Authorization: Bearer" and the API key',
        ),
        { "www-authenticate": 'Bearer realm="chat"' },
      );
    }
    if (chosen === undefined) {
      if (found.length === 0) {
        return refuse(
          new ApiError(
            404,
            "not_found",
            `Cannot find "${url.pathname}": see /api/openapi.json`,
          ),
        );
      }
      const allow = found.map(({ route }) => route.method).join(", ");
      return refuse(
        new ApiError(
          405,
          "method_not_allowed",
          `Cannot ${req.method} "${url.pathname}": use ${allow}`,
        ),
        { allow },
      );
    }
    const request: ApiRequest = {
      params: chosen.params!,
      query: url.searchParams,
      headers: req.headers,
      body: await readBody(req, maxBytes),
    };
    const { status, body } = await chosen.route.handle(request, context);
    return respond(status, body);
  }

  return async (req) => {
    try {
      return await serve(req);
    } catch (error) {
      if (error instanceof ApiError) return refuse(error);
      // The path only: nothing of the request's headers (the key) is logged.
      log("error", "api.failed", { path: new URL(req.url).pathname, error });
      return refuse(
        new ApiError(
          503,
          "unavailable",
          "Cannot answer now: the store cannot be reached; try again",
        ),
      );
    }
  };
}
