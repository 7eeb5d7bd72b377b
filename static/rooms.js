// The rooms the page is in, in the sidebar's order, and the one in view,
// which the URL names: joined on demand, remembered across reloads, taken
// off the page when left or refused (all but the default room, which
// everyone is in). With each, what the page remembers of it: what a direct
// room is called, whether it is muted, and how far it was read.

import { directRoomUsers, normalizeRoom } from "./format.js";
import { hashFor, roomFromHash } from "./room_hash.js";
import { savedLabels, savedMuted, savedRead, savedRooms } from "./saved.js";

/** The room everyone is in; it comes back at once when left. */
export const DEFAULT_ROOM = "general";

/**
 * @typedef {import("./room_view.js").RoomView} RoomView
 * @typedef {{
 *   join: (name: string) => RoomView,
 *   refused: (view: RoomView, error: unknown) => void,
 *   shown: (view: RoomView) => void,
 *   changed: () => void,
 *   invalid: (said: string) => void,
 * }} RoomsHooks
 *   `join`: a view of the room, joined; `refused`: the server refused to
 *   join it; `shown`: it is now the room in view; `changed`: rooms came or
 *   went; `invalid`: the URL names no room, only what it said.
 */

/** The rooms of the page. */
export class Rooms {
  /** The name of the room in view. */
  current = DEFAULT_ROOM;
  /** @type {Map<string, RoomView>} */
  #views = new Map();
  /** @type {Record<string, string>} labels of direct rooms */
  #labels = savedLabels.load();
  /** @type {Set<string>} */
  #muted = new Set(savedMuted.load());
  /** @type {Record<string, number>} newest message id read, by room */
  #read = savedRead.load();
  #hooks;

  /** @param {RoomsHooks} hooks */
  constructor(hooks) {
    this.#hooks = hooks;
  }

  /** The room in view. */
  get view() {
    return this.#views.get(this.current);
  }

  /** The rooms, in the sidebar's order. */
  get views() {
    return this.#views.values();
  }

  /** The rooms' names, in the sidebar's order. */
  get names() {
    return [...this.#views.keys()];
  }

  /**
   * Whether the page is in the room `name`.
   * @param {string} name
   */
  has(name) {
    return this.#views.has(name);
  }

  /**
   * Joins the default room and the rooms the user was in last time.
   */
  restore() {
    const names = savedRooms.load().map(normalizeRoom).filter(Boolean);
    for (const name of [DEFAULT_ROOM, ...names]) this.#ensure(name);
  }

  /**
   * What the page calls a room: `#name`, or `@` and the other user's name.
   * @param {string} name
   * @returns {string}
   */
  labelFor(name) {
    if (!directRoomUsers(name)) return `#${name}`;
    return this.#labels[name] ?? "@direct message";
  }

  /**
   * Whether the user muted the room `name`.
   * @param {string} name
   */
  isMuted(name) {
    return this.#muted.has(name);
  }

  /**
   * Mutes the room `name`, or unmutes it.
   * @param {string} name
   * @returns {boolean} whether it is muted now
   */
  toggleMuted(name) {
    if (this.#muted.has(name)) this.#muted.delete(name);
    else this.#muted.add(name);
    savedMuted.save(this.#muted);
    return this.#muted.has(name);
  }

  /**
   * Remembers that the user read `view` up to the message `id`.
   * @param {RoomView} view
   * @param {number} id
   */
  markRead(view, id) {
    if (id <= view.readId) return;
    view.readId = id;
    this.#read[view.name] = id;
    savedRead.save(this.#read);
  }

  /**
   * Unread messages in rooms not muted, but the one in view when it is seen.
   * @param {boolean} hidden whether the page is hidden
   * @returns {number}
   */
  unread(hidden) {
    let unread = 0;
    for (const view of this.#views.values()) {
      if (view.name === this.current && !hidden) continue;
      if (!this.#muted.has(view.name)) unread += view.unread;
    }
    return unread;
  }

  /**
   * Opens the room `name`, joining it if need be, and puts it in the URL.
   * @param {string} name
   * @param {{ replace?: boolean }} [options] `replace`: in place of the
   *   URL's history entry rather than after it
   */
  navigate(name, { replace = false } = {}) {
    const hash = hashFor(name);
    if (location.hash !== hash) {
      if (replace) history.replaceState(null, "", hash);
      else history.pushState(null, "", hash);
    }
    this.#switchTo(name);
  }

  /** Opens the room the URL names, or says why it cannot. */
  followHash() {
    const target = roomFromHash(location.hash);
    if (target && "name" in target) {
      return this.navigate(target.name, { replace: true });
    }
    if (target) this.#hooks.invalid(target.invalid);
    this.navigate(this.current, { replace: true });
  }

  /**
   * Opens the room `step` places after the one in view in the list, around.
   * @param {number} step
   */
  switchBy(step) {
    const names = this.names;
    const index = names.indexOf(this.current);
    const next = names[(index + step + names.length) % names.length];
    if (next && next !== this.current) this.navigate(next);
  }

  /**
   * Opens the direct room `name`, called `label` from now on.
   * @param {string} name
   * @param {string} label
   */
  openDirect(name, label) {
    this.#labels[name] = label;
    savedLabels.save(this.#labels);
    this.navigate(name);
  }

  /** Leaves the room in view. */
  leaveCurrent() {
    const name = this.current;
    // Leave locally at once; the server's `left` only confirms it.
    void this.view?.room.leave();
    this.forget(name);
    if (this.#views.size === 0) this.navigate(DEFAULT_ROOM, { replace: true });
  }

  /** Joins the room in view again, as a new view of it. */
  rejoinCurrent() {
    const name = this.current;
    this.#views.delete(name);
    this.#switchTo(name);
  }

  /**
   * Takes a room off the page.
   * @param {string} name
   */
  forget(name) {
    if (!this.#views.delete(name)) return;
    savedRooms.save(this.#views.keys());
    if (this.current === name) {
      const next = this.#views.keys().next().value ?? DEFAULT_ROOM;
      this.navigate(next, { replace: true });
    }
    this.#hooks.changed();
  }

  /** @param {string} name */
  #switchTo(name) {
    const view = this.#ensure(name);
    this.current = name;
    view.unread = 0;
    view.mentions = 0;
    view.readMark = view.readId;
    this.#hooks.shown(view);
  }

  /** @param {string} name */
  #ensure(name) {
    let view = this.#views.get(name);
    if (!view) {
      view = this.#hooks.join(name);
      view.readId = Number(this.#read[name]) || 0;
      this.#views.set(name, view);
      view.room.ready.catch((error) => this.#refused(view, error));
      savedRooms.save(this.#views.keys());
      this.#hooks.changed();
    }
    return view;
  }

  /**
   * @param {RoomView} view
   * @param {unknown} error
   */
  #refused(view, error) {
    if (this.#views.get(view.name) !== view) return;
    this.#hooks.refused(view, error);
    if (view.name === DEFAULT_ROOM) return;
    this.forget(view.name);
  }
}
