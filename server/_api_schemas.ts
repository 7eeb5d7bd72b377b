/**
 * The JSON Schemas of the server API's bodies, for the route tables and the
 * OpenAPI document's `components`: each route refers to them by name.
 *
 * @module
 */
import type { JsonSchema } from "./api_route.ts";

/**
 * A reference to a schema of {@linkcode SCHEMAS}.
 *
 * @param name Its name.
 * @returns `{ $ref }`.
 */
export function ref(name: SchemaName): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

/** The names of {@linkcode SCHEMAS}. */
export type SchemaName =
  | "Error"
  | "Actor"
  | "Entry"
  | "Page"
  | "Stored"
  | "Member"
  | "Ban"
  | "Record";

const userId = { type: "string", minLength: 1, maxLength: 128 };
const time = {
  type: "integer",
  minimum: 0,
  description: "Milliseconds since the Unix epoch",
};

/** Every named schema. */
export const SCHEMAS: Record<SchemaName, JsonSchema> = {
  Error: {
    type: "object",
    required: ["error"],
    properties: {
      error: {
        type: "object",
        required: ["code", "message"],
        properties: {
          code: { type: "string", description: "Stable error code" },
          message: { type: "string", description: "For people; may change" },
        },
      },
    },
  },
  Actor: {
    type: "object",
    description: "Who acts; the API's own actor (`api`) when absent",
    required: ["id", "name"],
    properties: { id: userId, name: { type: "string", maxLength: 32 } },
  },
  Entry: {
    type: "object",
    description:
      "An entry of a room's log: a message (its current state), or an edit or deletion of one",
    required: ["type", "id", "room", "ts", "user"],
    properties: {
      type: { enum: ["message", "edit", "delete"] },
      id: { type: "integer", minimum: 1 },
      room: { type: "string" },
      ts: time,
      user: { type: "string" },
      userId,
      guest: { const: true },
      bot: { const: true },
      text: { type: "string" },
      edited: time,
      deleted: { const: true },
      target: { type: "integer", minimum: 1 },
    },
  },
  Page: {
    type: "object",
    required: ["messages", "hasMore", "epoch"],
    properties: {
      messages: { type: "array", items: ref("Entry") },
      hasMore: { type: "boolean" },
      epoch: { type: "string" },
    },
  },
  Stored: {
    type: "object",
    description: "What a write stored: the entry's id and time",
    required: ["id", "room", "ts", "duplicate"],
    properties: {
      id: { type: "integer", minimum: 1 },
      room: { type: "string" },
      ts: time,
      epoch: { type: "string", description: "The epoch the id belongs to" },
      duplicate: {
        type: "boolean",
        description:
          "The Idempotency-Key was used before: nothing new was stored",
      },
    },
  },
  Member: {
    type: "object",
    required: ["id", "name"],
    properties: {
      id: userId,
      name: { type: "string" },
      guest: { const: true },
    },
  },
  Ban: {
    type: "object",
    required: ["userId", "room", "until", "by", "at"],
    properties: {
      userId,
      room: { type: ["string", "null"], description: "null: every room" },
      until: { type: ["integer", "null"], description: "null: no end" },
      reason: { type: "string" },
      by: ref("Actor"),
      at: time,
    },
  },
  Record: {
    type: "object",
    required: ["id", "at", "action", "by", "userId"],
    properties: {
      id: { type: "string" },
      at: time,
      action: {
        enum: ["ban", "unban", "kick", "disconnect", "edit", "delete"],
      },
      by: ref("Actor"),
      userId,
      room: { type: "string" },
      messageId: { type: "integer", minimum: 1 },
      until: { type: ["integer", "null"] },
      reason: { type: "string" },
    },
  },
};

/** The body of a moderation action: why, and who acts. */
export const ACTION_BODY: JsonSchema = {
  type: "object",
  properties: {
    reason: { type: "string", maxLength: 500 },
    by: ref("Actor"),
  },
};
