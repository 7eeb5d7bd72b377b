// The sidebar's lists: the rooms and the direct messages, each link with
// its unread and mention badges (kept across renders, so neither a keyboard
// user's focus nor a click on its way is lost), and the room's members.

import { hueFor, initials } from "./format.js";

/**
 * @typedef {import("./room_view.js").RoomView} RoomView
 * @typedef {{ id: string, name: string, guest?: boolean }} Member
 * @typedef {{
 *   current: () => string,
 *   hashFor: (name: string) => string,
 *   labelFor: (name: string) => string,
 *   isDirect: (name: string) => boolean,
 *   muted: (name: string) => boolean,
 *   myId: () => string,
 *   canMessage: (member: Member) => boolean,
 *   messageDirectly: (member: Member) => void,
 * }} SidebarHooks
 */

export class Sidebar {
  #parts;
  #hooks;
  /** @type {Map<string, HTMLLIElement>} each room's item, by name */
  #items = new Map();

  /**
   * @param {{ rooms: HTMLElement, directs: HTMLElement, directsPanel: HTMLElement, members: HTMLElement, memberCount: HTMLElement, headerMembers: HTMLElement }} parts
   * @param {SidebarHooks} hooks
   */
  constructor(parts, hooks) {
    this.#parts = parts;
    this.#hooks = hooks;
  }

  /** @param {Iterable<RoomView>} rooms in the order to list them */
  renderRooms(rooms) {
    const lists = { rooms: [], directs: [] };
    const names = new Set();
    for (const room of rooms) {
      names.add(room.name);
      let item = this.#items.get(room.name);
      if (!item) {
        item = document.createElement("li");
        const link = document.createElement("a");
        link.href = this.#hooks.hashFor(room.name);
        item.append(link);
        this.#items.set(room.name, item);
      }
      this.#fill(
        /** @type {HTMLAnchorElement} */ (item.firstElementChild),
        room,
      );
      lists[this.#hooks.isDirect(room.name) ? "directs" : "rooms"].push(item);
    }
    for (const name of this.#items.keys()) {
      if (!names.has(name)) this.#items.delete(name);
    }
    keepChildren(this.#parts.rooms, lists.rooms);
    keepChildren(this.#parts.directs, lists.directs);
    this.#parts.directsPanel.hidden = lists.directs.length === 0;
  }

  /** @param {RoomView | undefined} room the room in view */
  renderMembers(room) {
    const members = room?.room.members ?? [];
    this.#parts.members.replaceChildren(
      ...members.map((member) => this.#member(member)),
    );
    const count = Math.max(room?.room.memberCount ?? 0, members.length);
    this.#parts.memberCount.textContent = String(count);
    this.#parts.headerMembers.textContent = `${count} member${
      count === 1 ? "" : "s"
    }`;
  }

  /**
   * A room's link: its label, then whether it is muted, its mentions and
   * its unread count.
   * @param {HTMLAnchorElement} link
   * @param {RoomView} room
   */
  #fill(link, room) {
    const current = room.name === this.#hooks.current();
    link.className = "room-link";
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
    const hash = document.createElement("span");
    hash.className = "hash";
    hash.setAttribute("aria-hidden", "true");
    const name = this.#hooks.labelFor(room.name);
    hash.textContent = name[0];
    const label = document.createElement("span");
    label.className = "room-label";
    label.textContent = name.slice(1);
    link.replaceChildren(hash, label);
    if (this.#hooks.muted(room.name)) {
      link.classList.add("muted");
      link.append(hidden(", muted"));
    }
    if (room.unread === 0 || current) return;
    link.classList.add("has-unread");
    if (room.mentions > 0) {
      const mention = document.createElement("span");
      mention.className = "badge mention-badge";
      mention.textContent = "@";
      mention.append(
        hidden(` ${room.mentions} mention${room.mentions === 1 ? "" : "s"},`),
      );
      link.append(mention);
    }
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = room.unread > 99 ? "99+" : String(room.unread);
    badge.append(hidden(` unread message${room.unread === 1 ? "" : "s"}`));
    link.append(badge);
  }

  /** @param {Member} member */
  #member(member) {
    const item = document.createElement("li");
    item.className = "member";
    item.append(avatarFor(member.name));
    const label = document.createElement("span");
    label.className = "member-name";
    label.textContent = member.name;
    item.append(label);
    if (member.guest) item.append(tag("guest", "guest"));
    if (member.id === this.#hooks.myId()) {
      item.append(tag("you", "you"));
    } else if (this.#hooks.canMessage(member)) {
      const message = document.createElement("button");
      message.type = "button";
      message.className = "ghost message-member";
      message.textContent = "Message";
      message.setAttribute("aria-label", `Message ${member.name} directly`);
      message.addEventListener(
        "click",
        () => this.#hooks.messageDirectly(member),
      );
      item.append(message);
    }
    return item;
  }
}

/**
 * A round avatar with a person's initials, in their colour.
 * @param {string} name
 * @returns {HTMLSpanElement}
 */
export function avatarFor(name) {
  const avatar = document.createElement("span");
  avatar.className = "avatar";
  avatar.setAttribute("aria-hidden", "true");
  avatar.style.setProperty("--hue", String(hueFor(name)));
  avatar.textContent = initials(name);
  return avatar;
}

/**
 * Makes `items` the children of `list`, moving only what must move.
 * @param {HTMLElement} list
 * @param {HTMLElement[]} items
 */
function keepChildren(list, items) {
  items.forEach((item, index) => {
    if (list.children[index] !== item) {
      list.insertBefore(item, list.children[index] ?? null);
    }
  });
  while (list.children.length > items.length) list.lastElementChild?.remove();
}

/** @param {string} className @param {string} text */
function tag(className, text) {
  const span = document.createElement("span");
  span.className = className;
  span.textContent = text;
  return span;
}

/** Text for screen readers only. @param {string} text */
function hidden(text) {
  return tag("visually-hidden", text);
}
