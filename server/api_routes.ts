/**
 * The server API's routes for rooms and messages: active rooms, presence,
 * history, publishing as a bot or the system (idempotent with an
 * `Idempotency-Key`), and editing or deleting any message, which is
 * recorded as a moderation action.
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
  type Route,
} from "./api_route.ts";
import type { ApiContext } from "./api_route.ts";

/** The system user that publishes when a call names no sender. */
export const SYSTEM_SENDER: Actor = { id: "system", name: "System" };
/** Most rooms `GET /api/rooms` lists. */
const MAX_ROOMS_LISTED = 1000;

const room = {
  room: {
    description:
      "The room's name, percent-encoded (a direct room's `dm:…` name too)",
    schema: { type: "string" },
  },
};
const message = {
  ...room,
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

/** The routes for rooms and messages. */
export const ROOM_ROUTES: readonly Route[] = [
  {
    method: "GET",
    path: "/api/rooms",
    operationId: "listRooms",
    tag: "rooms",
    summary: "List active rooms with their member counts and last activity",
    description:
      "Rooms of every kind (private and direct ones too) where at least one user is present, on any instance, sorted by member count (most first), then by name. A room's count is its users (a user with several connections counts once); its last activity is when its latest kept entry (a message, an edit or a deletion) was stored, in milliseconds since the Unix epoch, or null when it keeps none.",
    query: {
      limit: {
        description:
          `Most rooms to list (default and most ${MAX_ROOMS_LISTED})`,
        schema: { type: "integer", minimum: 1, maximum: MAX_ROOMS_LISTED },
      },
    },
    responses: {
      200: {
        description: "The rooms",
        schema: {
          type: "object",
          required: ["rooms"],
          properties: {
            rooms: {
              type: "array",
              items: {
                type: "object",
                required: ["room", "memberCount", "lastActivity"],
                properties: {
                  room: { type: "string" },
                  memberCount: { type: "integer", minimum: 0 },
                  lastActivity: { type: ["integer", "null"] },
                },
              },
            },
          },
        },
      },
    },
    async handle({ query }, { chat }) {
      const limit = queryInteger(query, "limit", 1, MAX_ROOMS_LISTED) ??
        MAX_ROOMS_LISTED;
      const rooms = (await chat.rooms(limit)).map((
        { name, memberCount, lastActivity },
      ) => ({ room: name, memberCount, lastActivity }));
      return { status: 200, body: { rooms } };
    },
  },
  {
    method: "GET",
    path: "/api/rooms/{room}/presence",
    operationId: "readPresence",
    tag: "rooms",
    summary: "Read who is in a room",
    params: room,
    query: {
      limit: {
        description: "Most members to list (default and most CHAT_LARGE_ROOM)",
        schema: { type: "integer", minimum: 1 },
      },
    },
    responses: {
      200: {
        description: "The members, sorted by name, and how many there are",
        schema: {
          type: "object",
          required: ["members", "memberCount"],
          properties: {
            members: { type: "array", items: ref("Member") },
            memberCount: { type: "integer", minimum: 0 },
          },
        },
      },
    },
    async handle({ params, query }, { presence, config }) {
      const target = roomOf(params);
      const limit = queryInteger(query, "limit", 1, config.largeRoom) ??
        config.largeRoom;
      const [members, memberCount] = await Promise.all([
        presence.members(target, limit),
        presence.count(target),
      ]);
      return { status: 200, body: { members, memberCount } };
    },
  },
  {
    method: "GET",
    path: "/api/rooms/{room}/messages",
    operationId: "readHistory",
    tag: "messages",
    summary: "Read a page of a room's history",
    description:
      "Without `since`: messages in their current state (edited text, tombstones), the latest before `before`. With `since`: every entry (edits and deletions too) between the two, as a resume would get them. Page back with `before` set to the first id while `hasMore`.",
    params: room,
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
    params: room,
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
