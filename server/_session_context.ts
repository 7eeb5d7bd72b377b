/**
 * What a session's requests are answered with (`room_join.ts`,
 * `message_actions.ts`, `moderation_requests.ts`), for `session.ts`.
 *
 * @module
 */
import type { Chat } from "../chat/chat.ts";
import type { Member } from "../chat/events.ts";
import type { Moderator } from "../chat/moderator.ts";
import type { Config } from "./config.ts";
import type { Closable } from "./connection_context.ts";
import type { Credentials } from "./credentials.ts";
import type { Identity } from "./identity.ts";
import type { Memberships } from "./memberships.ts";
import type { ProtocolError } from "./protocol.ts";
import type { JoinContext } from "./room_join.ts";
import type { SocketWriter } from "./socket_writer.ts";

/** What {@linkcode SessionContext} is made of. */
export interface SessionContextParts {
  connectionId: string;
  credentials: Credentials;
  writer: SocketWriter;
  /** Answers refused requests: the session, within its budget. */
  refuser: { refuse(error: ProtocolError): void };
  chat: Chat;
  moderator: Moderator;
  rooms: Memberships;
  config: Config;
  now: () => number;
  connection: Closable;
}

/**
 * A session's {@linkcode JoinContext}. A class rather than an object literal
 * with getters and arrow functions: every connection holds one, and a
 * literal's getters put it in dictionary mode (~830 bytes) and its arrows
 * are closures of their own, where a class instance is a dozen fields and
 * shares its methods.
 */
export class SessionContext implements JoinContext {
  readonly connectionId: string;
  readonly writer: SocketWriter;
  readonly chat: Chat;
  readonly moderator: Moderator;
  readonly editWindow: number;
  readonly rooms: Memberships;
  readonly config: Config;
  readonly now: () => number;
  #credentials: Credentials;
  #refuser: { refuse(error: ProtocolError): void };
  #connection: Closable;

  /** Answers with `parts`. */
  constructor(parts: SessionContextParts) {
    this.connectionId = parts.connectionId;
    this.writer = parts.writer;
    this.chat = parts.chat;
    this.moderator = parts.moderator;
    this.editWindow = parts.config.editWindow;
    this.rooms = parts.rooms;
    this.config = parts.config;
    this.now = parts.now;
    this.#connection = parts.connection;
    this.#credentials = parts.credentials;
    this.#refuser = parts.refuser;
  }

  /** Whether the connection has ended. */
  closed(): boolean {
    return this.#connection.closed;
  }

  /** Who the connection is now. */
  get identity(): Identity {
    return this.#credentials.identity;
  }

  /** The connection's user as room members see them. */
  get member(): Member {
    return memberOf(this.#credentials.identity);
  }

  /** Answers a refused request, within the connection's budget. */
  refuse(error: ProtocolError): void {
    this.#refuser.refuse(error);
  }

  /** Whether the identity may use `room`. */
  mayUse(room: string): boolean {
    return this.#credentials.mayUse(room);
  }
}

/**
 * A user as room members see them.
 *
 * @param identity Who the connection is.
 * @returns Its id and name, and whether it is a guest.
 */
export function memberOf({ id, name, guest }: Identity): Member {
  return guest ? { id, name, guest } : { id, name };
}
