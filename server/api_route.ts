/**
 * What a route of the server API is: its method and path, what it takes and
 * answers (which the OpenAPI document is built from) and its handler; and
 * the error every route throws for a refusal. `api_routes.ts` and
 * `api_moderation_routes.ts` list the routes, `api.ts` serves them,
 * `openapi.ts` describes them.
 *
 * @module
 */
import type { Chat } from "../chat/chat.ts";
import type { Moderator } from "../chat/moderator.ts";
import type { Presence } from "../chat/presence.ts";
import type { Config } from "./config.ts";

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it), as a plain object. */
export type JsonSchema = Record<string, unknown>;

/** A query or header parameter. */
export interface ParameterDoc {
  description: string;
  schema: JsonSchema;
  /** @default {false} */
  required?: boolean;
}

/** One answer a route may give. */
export interface ResponseDoc {
  description: string;
  /** The body's schema; none for an empty body. */
  schema?: JsonSchema;
}

/** A request as a route's handler gets it: parameters decoded, body parsed. */
export interface ApiRequest {
  /** Path parameters, percent-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: Headers;
  /** The JSON body; `undefined` when there was none. */
  body: unknown;
}

/** What a handler answers: a status and a JSON body. */
export interface ApiResponse {
  status: number;
  body: unknown;
}

/** What every route acts with. */
export interface ApiContext {
  chat: Chat;
  /** Who is where, on every instance. */
  presence: Presence;
  moderator: Moderator;
  config: Config;
}

/** One operation of the server API. */
export interface Route {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** The OpenAPI path template, e.g. `/api/rooms/{room}/messages`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  /** Tags grouping operations in the document. */
  tag: "rooms" | "messages" | "moderation" | "users" | "meta";
  /** Descriptions of the path's parameters, by name. */
  params?: Record<string, ParameterDoc>;
  query?: Record<string, ParameterDoc>;
  headers?: Record<string, ParameterDoc>;
  /** The JSON body's schema; absent when it takes none. */
  body?: { schema: JsonSchema; required: boolean };
  /** The answers besides the errors every route may give, by status. */
  responses: Record<number, ResponseDoc>;
  /** Whether the route needs no API key (the document itself). */
  public?: boolean;
  handle(request: ApiRequest, context: ApiContext): Promise<ApiResponse>;
}

/** A refusal of an API request: a status and a stable code, answered as a JSON error body. */
export class ApiError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The stable code. */
  readonly code: string;

  /** Creates an ApiError. */
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** The error codes the API answers with, by the status they come with. */
export const ERROR_CODES: Readonly<Record<number, readonly string[]>> = {
  400: [
    "bad_request",
    "bad_json",
    "invalid_room",
    "invalid_name",
    "message_too_large",
  ],
  401: ["unauthorized"],
  404: ["not_found"],
  405: ["method_not_allowed"],
  409: ["too_many_edits"],
  413: ["payload_too_large"],
  415: ["unsupported_media_type"],
  503: ["unavailable"],
};
