/**
 * The server API's OpenAPI 3.1 document, built from the same route tables
 * the router serves, so the two cannot drift apart.
 *
 * @module
 */
import { SCHEMAS } from "./_api_schemas.ts";
import { ERROR_CODES, type ParameterDoc, type Route } from "./api_route.ts";

/** The statuses every authenticated operation may answer with an error body. */
const COMMON_ERRORS = [400, 401, 413, 415, 503];

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "A parameter or the body is not valid",
  401: "The API key is missing or wrong",
  404: "Nothing there",
  409: "The message was edited the most times allowed",
  413: "The body is larger than CHAT_API_MAX_BODY_BYTES",
  415: "The body is not JSON",
  503: "The store cannot be reached now; retry (with the same Idempotency-Key)",
};

function parameters(
  location: "path" | "query" | "header",
  docs: Record<string, ParameterDoc> = {},
) {
  return Object.entries(docs).map(([name, doc]) => ({
    name,
    in: location,
    description: doc.description,
    required: location === "path" || doc.required === true,
    schema: doc.schema,
  }));
}

function json(schema: unknown) {
  return { "application/json": { schema } };
}

function operation(route: Route) {
  const responses: Record<string, unknown> = {};
  for (const [status, doc] of Object.entries(route.responses)) {
    responses[status] = doc.schema === undefined
      ? { description: doc.description }
      : { description: doc.description, content: json(doc.schema) };
  }
  const errors = route.public ? [] : [
    ...COMMON_ERRORS,
    ...(route.params ? [404] : []),
    ...(route.operationId === "editMessage" ? [409] : []),
  ];
  for (const status of errors) {
    responses[status] = {
      description: `${ERROR_DESCRIPTIONS[status]}: ${
        ERROR_CODES[status]!.map((code) => `\`${code}\``).join(", ")
      }`,
      content: json({ $ref: "#/components/schemas/Error" }),
    };
  }
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(route.public ? { security: [] } : {}),
    parameters: [
      ...parameters("path", route.params),
      ...parameters("query", route.query),
      ...parameters("header", route.headers),
    ],
    ...(route.body
      ? {
        requestBody: {
          required: route.body.required,
          content: json(route.body.schema),
        },
      }
      : {}),
    responses,
  };
}

/**
 * The OpenAPI 3.1 document of `routes`.
 *
 * @param routes Every route the API serves.
 * @param version The API's version.
 * @returns The document, ready for `JSON.stringify`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openApiDocument } from "./openapi.ts";
 * import { ROUTES } from "./api.ts";
 *
 * const document = openApiDocument(ROUTES);
 * assert.equal(document.openapi, "3.1.0");
 * assert.ok(document.paths["/api/rooms/{room}/messages"]?.post);
 * ```
 */
export function openApiDocument(
  routes: readonly Route[],
  version = "1",
): {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
} {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Chat server API",
      version,
      description:
        "For the host application's backend: publish, read history and presence, edit and delete messages, ban, kick and disconnect users, read the moderation record. Every call acts on every instance. Enabled by CHAT_API_KEY; see docs/api.md.",
    },
    security: [{ apiKey: [] }],
    tags: [
      { name: "rooms" },
      { name: "messages" },
      { name: "moderation" },
      { name: "users" },
      { name: "meta" },
    ],
    paths,
    components: {
      securitySchemes: {
        apiKey: {
          type: "http",
          scheme: "bearer",
          description: "The value of CHAT_API_KEY",
        },
      },
      schemas: SCHEMAS,
    },
  };
}
