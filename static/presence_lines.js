// The "Ada joined" and "Bo left" lines of a room, in rooms small enough to
// name who comes and goes (a large room sends counts): who is present, to
// tell arrivals from renames, and each line placed between the newest
// message and the next one to come.

/**
 * @typedef {import("./room_view.js").RoomView} RoomView
 * @typedef {import("./room_view.js").Hooks} Hooks
 */

/** Adds the join and leave lines to a room's messages. */
export class PresenceLines {
  /** Ids of the users present, to tell arrivals from renames. */
  #present = new Set();
  #view;
  #hooks;

  /**
   * @param {RoomView} view the room whose messages get the lines
   * @param {Hooks} hooks
   */
  constructor(view, hooks) {
    this.#view = view;
    this.#hooks = hooks;
  }

  /** Counts the room's members at a join as present. */
  reset() {
    this.#present = new Set(
      this.#view.room.members.map((member) => member.id),
    );
  }

  /**
   * Adds "Ada joined" and "Bo left" lines after the newest message, in rooms
   * small enough to name who comes and goes (a large room sends counts).
   * @param {readonly { id: string, name: string }[]} joined
   * @param {readonly { id: string, name: string }[]} left
   */
  announce(joined, left) {
    const view = this.#view;
    const lines = [];
    const me = this.#hooks.myId();
    for (const member of joined) {
      if (!this.#present.has(member.id) && member.id !== me) {
        lines.push({ system: "joined", user: member.name });
      }
      this.#present.add(member.id);
    }
    for (const member of left) {
      if (this.#present.delete(member.id) && member.id !== me) {
        lines.push({ system: "left", user: member.name });
      }
    }
    if (lines.length === 0 || view.room.memberCount > this.#hooks.largeRoom()) {
      return;
    }
    for (const line of lines) {
      // Between the newest message and the next one to come.
      const last = view.messages.at(-1)?.id ?? 0;
      const id = Math.floor(last) + (last - Math.floor(last) + 1) / 2;
      view.messages.push({ ...line, id, ts: Date.now(), text: "" });
      view.ids.add(id);
    }
    if (this.#hooks.isCurrent(view)) this.#hooks.changed("list");
  }
}
