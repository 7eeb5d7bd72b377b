/**
 * The `hello` a `chat.v1` connection opens with: who the server takes it to
 * be, whether it must sign in first, and the limits it is held to. For
 * `connection.ts`.
 *
 * @module
 */
import type { Config } from "./config.ts";
import type { Identity } from "./identity.ts";
import {
  DEFAULT_ROOM,
  JSON_PROTOCOL,
  MAX_NAME_LENGTH,
  type ServerEvent,
} from "./protocol.ts";

/** The `hello` event. */
export type HelloEvent = Extract<ServerEvent, { type: "hello" }>;

/** The connection a {@linkcode helloEvent} greets. */
export interface Greeted {
  /** The connection's id. */
  connectionId: string;
  /** Who the connection is when its socket opens. */
  identity: Identity;
  /** Whether the connection must send `auth` before anything but `ping`. */
  authRequired: boolean;
}

/**
 * Builds the `hello` of a `chat.v1` connection.
 *
 * @param greeted The connection, who it is, and whether it must sign in.
 * @param config The settings whose limits the client is told.
 * @returns The event, to send as the connection's first frame.
 */
export function helloEvent(greeted: Greeted, config: Config): HelloEvent {
  const { connectionId, identity, authRequired } = greeted;
  return {
    type: "hello",
    protocol: JSON_PROTOCOL,
    connectionId,
    user: identity.name,
    userId: identity.id,
    guest: identity.guest,
    role: identity.role,
    authRequired,
    defaultRoom: DEFAULT_ROOM,
    limits: {
      maxMessageBytes: config.maxMessageBytes,
      maxNameLength: MAX_NAME_LENGTH,
      rateLimit: config.rateLimit,
      rateBurst: config.rateBurst,
      historyLimit: config.historyLimit,
      maxRooms: config.maxRooms,
      largeRoom: config.largeRoom,
      typingInterval: config.typingInterval,
      editWindow: config.editWindow,
    },
  };
}
