/**
 * The server API's routes for rooms and messages: active rooms and presence
 * here, then the message routes of `_api_message_routes.ts` (history,
 * publishing as a bot or the system, editing or deleting any message).
 *
 * @module
 */
import { queryInteger, roomOf } from "./_api_inputs.ts";
import { MESSAGE_ROUTES, ROOM_PARAMS } from "./_api_message_routes.ts";
import { ref } from "./_api_schemas.ts";
import type { Route } from "./api_route.ts";

export { SYSTEM_SENDER } from "./_api_message_routes.ts";

/** Most rooms `GET /api/rooms` lists. */
const MAX_ROOMS_LISTED = 1000;

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
    params: ROOM_PARAMS,
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
  ...MESSAGE_ROUTES,
];
