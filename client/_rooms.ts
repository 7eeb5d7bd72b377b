/**
 * The rooms a client has joined and not left, by name: the connection's
 * news goes to each of them, and a room's frames to that room alone.
 *
 * @module
 */
import type { JoinOptions } from "./options.ts";
import { RoomChannel } from "./_room.ts";
import type { RoomFrame, RoomHost } from "./_room_core.ts";
import type { ServerFrame } from "./types.ts";

/** Prefix of a direct room's name, whose user ids keep their case. */
const DIRECT_ROOM_PREFIX = "dm:";

/** One client's rooms. */
export class RoomRegistry {
  #rooms = new Map<string, RoomChannel>();
  #host: RoomHost;

  /** @param host What every room needs from the client. */
  constructor(host: Omit<RoomHost, "removed">) {
    this.#host = {
      ...host,
      removed: (gone) => {
        if (this.#rooms.get(gone.name) === gone) this.#rooms.delete(gone.name);
      },
    };
  }

  /** The rooms joined and not left. */
  get rooms(): RoomChannel[] {
    return [...this.#rooms.values()];
  }

  /**
   * The room `name`, joined now if the connection is `open`, or once it is.
   *
   * @param name A room's name: folded to lower case, unless a direct room's.
   * @param options Where to resume from, for a room seen in an earlier session.
   * @param open Whether the connection is open now.
   * @returns The room, the same one for the same name until it is left.
   */
  join(name: string, options: JoinOptions, open: boolean): RoomChannel {
    const key = name.startsWith(DIRECT_ROOM_PREFIX) ? name : name.toLowerCase();
    let room = this.#rooms.get(key);
    if (room) return room;
    room = new RoomChannel(key, this.#host, options);
    this.#rooms.set(key, room);
    if (open) room.connected();
    return room;
  }

  /** Hands a room's frame to its room, if it is one of these. */
  receive(frame: RoomFrame): void {
    this.#rooms.get(frame.room)?.receive(frame);
  }

  /**
   * Hands an `error` to the room whose request it answers.
   *
   * @returns Whether one did.
   */
  refused(error: Extract<ServerFrame, { type: "error" }>): boolean {
    for (const room of this.#rooms.values()) {
      if (room.refused(error)) return true;
    }
    return false;
  }

  /** The connection is ready: every room joins. */
  connected(): void {
    for (const room of this.#rooms.values()) room.connected();
  }

  /** The connection dropped: every room waits for the next. */
  disconnected(): void {
    for (const room of this.#rooms.values()) room.disconnected();
  }

  /** The client closed: every room ends. */
  close(): void {
    for (const room of this.rooms) room.close();
  }
}
