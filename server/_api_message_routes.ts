/**
 * The server API's routes for messages: a room's history, publishing as a
 * bot or the system (idempotent with an `Idempotency-Key`), and editing or
 * deleting any message, which is recorded as a moderation action.
 * `api_routes.ts` lists them after the routes for rooms.
 *
 * @module
 */
import { AmendmentRefusedError } from "../chat/amendments.ts";
import type { Actor } from "../chat/moderation.ts";
import {
  actorOf,
  bodyOf,
  idempotencyKeyOf,
  messageIdOf,
  queryInteger,
  roomOf,
  textOf,
} from "./_api_inputs.ts";
import { ref } from "./_api_schemas.ts";
import {
  ApiError,
  type ApiRequest,
  type ApiResponse,
  type ParameterDoc,
  type Route,
} from "./api_route.ts";
import type { ApiContext } from "./api_route.ts";

/** The system user that publishes when a call names no sender. */
export const SYSTEM_SENDER: Actor = { id: "system", name: "System" };

/** The path parameter naming a room, as every route under a room takes it. */
export const ROOM_PARAMS: Record<string, ParameterDoc> = {
  room: {
    description:
      "The room's name, percent-encoded (a direct room's `dm:…` name too)",
    schema: { type: "string" },
  },
};
const message = {
  ...ROOM_PARAMS,
  id: {
    description: "The message's id",
    schema: { type: "integer", minimum: 1 },
  },
};
const idempotencyKey = {
  "Idempotency-Key": {
    description:
      "Makes the call idempotent: one retried with the same key (within CHAT_NONCE_TTL) changes nothing twice and answers the first result",
    schema: { type: "string", minLength: 1, maxLength: 64 },
  },
};
const stored = { description: "Stored", schema: ref("Stored") };

/** Edits or deletes a message for the host application, and records it. */
async function amend(
  request: ApiRequest,
  { chat, config, moderator }: ApiContext,
  type: "edit" | "delete",
): Promise<ApiResponse> {
  const target = roomOf(request.params);
  const id = messageIdOf(request.params);
  const body = bodyOf(request.body);
  const text = type === "edit"
    ? textOf(body, config.maxMessageBytes)
    : undefined;
  const by = actorOf(body);
  const original = await chat.message(target, id);
  if (original === undefined) {
    throw new ApiError(
      404,
      "not_found",
      `Cannot ${type} message: ${id} is not in "${target}"`,
    );
  }
  try {
    const { entry, duplicate } = await chat.amend(target, {
      ...(text === undefined
        ? { type: "delete", target: id }
        : { type: "edit", target: id, text }),
      userId: by.id,
      user: by.name,
      bot: true,
      ...idempotencyKeyOf(request.headers),
    });
    if (!duplicate) {
      await moderator.recordChange({
        action: type,
        by,
        userId: original.userId ?? original.user,
        room: target,
        messageId: id,
      });
    }
    return {
      status: 200,
      body: { id: entry.id, room: target, ts: entry.ts, duplicate },
    };
  } catch (error) {
    if (!(error instanceof AmendmentRefusedError)) throw error;
    if (error.reason === "too_many_edits") {
      throw new ApiError(409, "too_many_edits", error.message);
    }
    throw new ApiError(404, "not_found", error.message);
  }
}

/** The routes for a room's messages: history, publish, edit, delete. */
export const MESSAGE_ROUTES: readonly Route[] = [
  {
    method: "GET",
    path: "/api/rooms/{room}/messages",
    operationId: "readHistory",
    tag: "messages",
    summary: "Read a page of a room's history",
    description:
      "Without `since`: messages in their current state (edited text, tombstones), the latest before `before`. With `since`: every entry (edits and deletions too) between the two, as a resume would get them. Page back with `before` set to the first id while `hasMore`.",
    params: ROOM_PARAMS,
    query: {
      before: {
        description: "Ids below this one; the latest when absent",
        schema: { type: "integer", minimum: 1 },
      },
      since: {
        description: "Entries of every kind above this id",
        schema: { type: "integer", minimum: 0 },
      },
      limit: {
        description: "Most entries (default and most CHAT_HISTORY_LIMIT)",
        schema: { type: "integer", minimum: 1 },
      },
    },
    responses: { 200: { description: "The page", schema: ref("Page") } },
    async handle({ params, query }, { chat, config }) {
      const target = roomOf(params);
      const max = Number.MAX_SAFE_INTEGER;
      const before = queryInteger(query, "before", 1, max) ?? max;
      const since = queryInteger(query, "since", 0, before - 1);
      const limit = queryInteger(query, "limit", 1, config.historyLimit) ??
        config.historyLimit;
      const page = await chat.history(target, before, limit, since);
      const { messages, hasMore, epoch } = page;
      return { status: 200, body: { messages, hasMore, epoch } };
    },
  },
  {
    method: "POST",
    path: "/api/rooms/{room}/messages",
    operationId: "publishMessage",
    tag: "messages",
    summary: "Publish a message as a bot or the system",
    description:
      "Stored, then sent to every member on every instance, marked `bot: true`. Without `from`, the sender is the system user (`system`).",
    params: ROOM_PARAMS,
    headers: idempotencyKey,
    body: {
      required: true,
      schema: {
        type: "object",
        required: ["text"],
        properties: {
          text: { type: "string", minLength: 1 },
          from: ref("Actor"),
        },
      },
    },
    responses: {
      201: stored,
      200: {
        description: "Stored by an earlier call with the same Idempotency-Key",
        schema: ref("Stored"),
      },
    },
    async handle(request, { chat, config }) {
      const target = roomOf(request.params);
      const body = bodyOf(request.body);
      const text = textOf(body, config.maxMessageBytes);
      const from = body.from === undefined
        ? SYSTEM_SENDER
        : actorOf(body, "from");
      const { message, duplicate, epoch } = await chat.post(target, {
        userId: from.id,
        user: from.name,
        bot: true,
        text,
        ...idempotencyKeyOf(request.headers),
      });
      return {
        status: duplicate ? 200 : 201,
        body: {
          id: message.id,
          room: target,
          ts: message.ts,
          epoch,
          duplicate,
        },
      };
    },
  },
  {
    method: "PATCH",
    path: "/api/rooms/{room}/messages/{id}",
    operationId: "editMessage",
    tag: "messages",
    summary: "Edit any message",
    description:
      "Stored as an edit entry that every member gets in the room's order, and recorded as a moderation action by `by`.",
    params: message,
    headers: idempotencyKey,
    body: {
      required: true,
      schema: {
        type: "object",
        required: ["text"],
        properties: { text: { type: "string" }, by: ref("Actor") },
      },
    },
    responses: { 200: stored },
    handle: (request, context) => amend(request, context, "edit"),
  },
  {
    method: "DELETE",
    path: "/api/rooms/{room}/messages/{id}",
    operationId: "deleteMessage",
    tag: "messages",
    summary: "Delete any message",
    description:
      "The message becomes a tombstone (its text, and its edits' text, gone from storage); every member gets the deletion in the room's order. Recorded as a moderation action by `by`.",
    params: message,
    headers: idempotencyKey,
    body: {
      required: false,
      schema: { type: "object", properties: { by: ref("Actor") } },
    },
    responses: { 200: stored },
    handle: (request, context) => amend(request, context, "delete"),
  },
];
