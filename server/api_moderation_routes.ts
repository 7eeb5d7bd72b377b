/**
 * The server API's moderation routes: bans of a room or of every room,
 * kicks, ending all of a user's connections, and the moderation record.
 * Each acts on every instance through the control channel.
 *
 * @module
 */
import { MAX_BAN_SECONDS } from "./_action_requests.ts";
import {
  actorOf,
  bodyOf,
  queryInteger,
  reasonOf,
  roomOf,
  userIdOf,
} from "./_api_inputs.ts";
import { ACTION_BODY, ref } from "./_api_schemas.ts";
import {
  ApiError,
  type ApiRequest,
  type ApiResponse,
  type ParameterDoc,
  type Route,
} from "./api_route.ts";
import type { ApiContext } from "./api_route.ts";

/** Most bans or records one page lists. */
const MAX_PAGE = 1000;
/** Records a page lists when the call does not say. */
const DEFAULT_PAGE = 100;

const user: Record<string, ParameterDoc> = {
  userId: {
    description: "The user's id, percent-encoded",
    schema: { type: "string", minLength: 1, maxLength: 128 },
  },
};
const roomUser: Record<string, ParameterDoc> = {
  room: { description: "The room's name", schema: { type: "string" } },
  ...user,
};
const recorded = { description: "Done, and recorded", schema: ref("Record") };
const banBody = {
  required: false,
  schema: {
    ...ACTION_BODY,
    properties: {
      ...ACTION_BODY.properties as Record<string, unknown>,
      duration: {
        type: "integer",
        minimum: 1,
        maximum: MAX_BAN_SECONDS,
        description: "Seconds the ban lasts; without, it has no end",
      },
    },
  },
};
const banList = {
  200: {
    description: "The bans in force",
    schema: {
      type: "object",
      required: ["bans"],
      properties: { bans: { type: "array", items: ref("Ban") } },
    },
  },
};

/** The room a route names, or `null` for a server-wide one. */
function scopeOf(request: ApiRequest, roomWide: boolean): string | null {
  return roomWide ? roomOf(request.params) : null;
}

async function ban(
  request: ApiRequest,
  { moderator }: ApiContext,
  roomWide: boolean,
): Promise<ApiResponse> {
  const room = scopeOf(request, roomWide);
  const userId = userIdOf(request.params.userId);
  const body = bodyOf(request.body);
  const duration = body.duration;
  if (
    duration !== undefined &&
    (typeof duration !== "number" || !Number.isSafeInteger(duration) ||
      duration < 1 || duration > MAX_BAN_SECONDS)
  ) {
    throw new ApiError(
      400,
      "bad_request",
      `Cannot read "duration": expected an integer from 1 to ${MAX_BAN_SECONDS}`,
    );
  }
  const { ban } = await moderator.ban(actorOf(body), {
    userId,
    room,
    ...(duration === undefined ? {} : { durationMs: duration * 1000 }),
    ...reasonOf(body),
  });
  return { status: 200, body: ban };
}

async function unban(
  request: ApiRequest,
  { moderator }: ApiContext,
  roomWide: boolean,
): Promise<ApiResponse> {
  const room = scopeOf(request, roomWide);
  const userId = userIdOf(request.params.userId);
  const record = await moderator.unban(
    actorOf(bodyOf(request.body)),
    userId,
    room,
  );
  if (record === undefined) {
    throw new ApiError(
      404,
      "not_found",
      `Cannot unban "${userId}": no ban of them is in force there`,
    );
  }
  return { status: 200, body: record };
}

async function bans(
  request: ApiRequest,
  { moderator }: ApiContext,
  roomWide: boolean,
): Promise<ApiResponse> {
  const room = scopeOf(request, roomWide);
  const limit = queryInteger(request.query, "limit", 1, MAX_PAGE) ?? MAX_PAGE;
  return { status: 200, body: { bans: await moderator.bans(room, limit) } };
}

/** The three routes of one scope's bans: list, impose (or replace), lift. */
function banRoutes(roomWide: boolean): Route[] {
  const base = roomWide ? "/api/rooms/{room}/bans" : "/api/bans";
  const scope = roomWide ? "the room" : "every room (server-wide)";
  const Scope = roomWide ? "Room" : "Server";
  const params = roomWide ? roomUser : user;
  return [
    {
      method: "GET",
      path: base,
      operationId: `list${Scope}Bans`,
      tag: "moderation",
      summary: `List the bans in force in ${scope}`,
      ...(roomWide ? { params: { room: roomUser.room! } } : {}),
      query: {
        limit: {
          description: `Most bans to list (default and most ${MAX_PAGE})`,
          schema: { type: "integer", minimum: 1, maximum: MAX_PAGE },
        },
      },
      responses: banList,
      handle: (request, context) => bans(request, context, roomWide),
    },
    {
      method: "PUT",
      path: `${base}/{userId}`,
      operationId: `ban${Scope}`,
      tag: "moderation",
      summary: `Ban a user from ${scope}`,
      description:
        "Replaces a ban of the same user and scope. The user's connections leave at once on every instance (`left` with reason `banned`); joins, sends and history are refused with `banned` until the ban ends or is lifted. Recorded.",
      params,
      body: banBody,
      responses: { 200: { description: "The ban", schema: ref("Ban") } },
      handle: (request, context) => ban(request, context, roomWide),
    },
    {
      method: "DELETE",
      path: `${base}/{userId}`,
      operationId: `unban${Scope}`,
      tag: "moderation",
      summary: `Lift a user's ban from ${scope}`,
      params,
      body: { required: false, schema: ACTION_BODY },
      responses: { 200: recorded },
      handle: (request, context) => unban(request, context, roomWide),
    },
  ];
}

/** The moderation routes. */
export const MODERATION_ROUTES: readonly Route[] = [
  ...banRoutes(true),
  ...banRoutes(false),
  {
    method: "POST",
    path: "/api/rooms/{room}/kicks",
    operationId: "kickUser",
    tag: "moderation",
    summary: "Take a user out of a room now",
    description:
      "Every connection of the user in the room, on every instance, leaves it (`left` with reason `kicked`); they may join again. Recorded.",
    params: { room: roomUser.room! },
    body: {
      required: true,
      schema: {
        ...ACTION_BODY,
        required: ["userId"],
        properties: {
          ...ACTION_BODY.properties as Record<string, unknown>,
          userId: user.userId!.schema,
        },
      },
    },
    responses: { 200: recorded },
    async handle(request, { moderator }) {
      const room = roomOf(request.params);
      const body = bodyOf(request.body);
      const record = await moderator.kick(actorOf(body), {
        userId: userIdOf(body.userId),
        room,
        ...reasonOf(body),
      });
      return { status: 200, body: record };
    },
  },
  {
    method: "POST",
    path: "/api/users/{userId}/disconnect",
    operationId: "disconnectUser",
    tag: "users",
    summary: "Close every connection of a user",
    description:
      "On every instance, each of the user's connections is closed with 4410, for example after the host application logged the user out or suspended them. Nothing stops the user from connecting again with a valid token: ban them, or stop issuing tokens, to keep them out. Recorded.",
    params: user,
    body: { required: false, schema: ACTION_BODY },
    responses: { 200: recorded },
    async handle(request, { moderator }) {
      const body = bodyOf(request.body);
      const record = await moderator.disconnect(actorOf(body), {
        userId: userIdOf(request.params.userId),
        ...reasonOf(body),
      });
      return { status: 200, body: record };
    },
  },
  {
    method: "GET",
    path: "/api/moderation",
    operationId: "readModerationRecord",
    tag: "moderation",
    summary: "Read the moderation record, newest first",
    description:
      "Every ban, unban, kick, disconnection, and edit or deletion of someone else's message: who, what, when. Page with `before` set to the previous page's `next`.",
    query: {
      room: {
        description: "Only actions in this room",
        schema: { type: "string" },
      },
      userId: {
        description: "Only actions concerning this user",
        schema: { type: "string" },
      },
      before: {
        description: "The `next` of the previous page",
        schema: { type: "string" },
      },
      limit: {
        description:
          `Most records (default ${DEFAULT_PAGE}, at most ${MAX_PAGE})`,
        schema: { type: "integer", minimum: 1, maximum: MAX_PAGE },
      },
    },
    responses: {
      200: {
        description: "A page of the record",
        schema: {
          type: "object",
          required: ["records"],
          properties: {
            records: { type: "array", items: ref("Record") },
            next: {
              type: "string",
              description: "Where the next page starts; absent at the end",
            },
          },
        },
      },
    },
    async handle({ query }, { moderator }) {
      const room = query.get("room");
      const userId = query.get("userId");
      const before = query.get("before");
      const page = await moderator.records({
        limit: queryInteger(query, "limit", 1, MAX_PAGE) ?? DEFAULT_PAGE,
        ...(room === null ? {} : { room: roomOf({ room }) }),
        ...(userId === null ? {} : { userId: userIdOf(userId) }),
        ...(before === null ? {} : { before }),
      });
      return { status: 200, body: page };
    },
  },
];
