/**
 * Who is in a room: the list a `joined` frame gives, kept up to date by
 * `presence` events, sorted as the server lists it; in a large room a
 * sample, with the count kept apart.
 *
 * @module
 */
import type { FrameOf, Member } from "./types.ts";

/** Orders members as the server lists them: by name, then id. */
function byName(a: Member, b: Member): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** One room's members and how many they are. */
export class MemberList {
  #members: Member[] = [];
  #count = 0;

  /** Users present, sorted by name (in a large room, a sample). */
  get members(): readonly Member[] {
    return this.#members;
  }

  /** How many users are present. */
  get count(): number {
    return this.#count;
  }

  /** The room was joined: the server's list and count. */
  joined(frame: FrameOf<"joined">): void {
    this.#members = [...frame.members].sort(byName);
    this.#count = frame.memberCount;
  }

  /** Users arrived, renamed or left. */
  presence(event: FrameOf<"presence">): void {
    // A large room sends its member count instead of names.
    if (typeof event.memberCount === "number") {
      this.#count = event.memberCount;
      return;
    }
    // In a large room the list is a sample: a user who leaves may never
    // have been listed, so the count follows the event, not the list. A
    // `joined` entry for a user listed already is their new name.
    const members = new Map(this.#members.map((member) => [member.id, member]));
    let count = this.#count;
    for (const member of event.left) {
      members.delete(member.id);
      count--;
    }
    for (const member of event.joined) {
      if (!members.has(member.id)) count++;
      members.set(member.id, member);
    }
    this.#members = [...members.values()].sort(byName);
    this.#count = Math.max(count, members.size);
  }
}
