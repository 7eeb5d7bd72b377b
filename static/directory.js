// The room directory: the public rooms where someone is present (the
// server's `rooms` request, through client.directory()), to browse and join
// from. directoryRows() is pure; Directory shows them in a dialog.

import { relativeTime } from "./format.js";

/**
 * @typedef {{ name: string, memberCount: number, lastActivity: number | null }} RoomInfo
 * @typedef {{ name: string, members: string, activity: string, joined: boolean }} Row
 */

/**
 * The rows to show, in the server's order (busiest first), narrowed to the
 * names that hold `filter`.
 * @param {readonly RoomInfo[]} rooms
 * @param {{ joined: (name: string) => boolean, filter?: string, now?: number }} options
 * @returns {Row[]}
 */
export function directoryRows(rooms, options) {
  const { joined, filter = "", now = Date.now() } = options;
  const wanted = filter.trim().replace(/^#/, "").toLowerCase();
  return rooms.filter((room) => room.name.includes(wanted)).map((room) => ({
    name: room.name,
    members: `${room.memberCount} member${room.memberCount === 1 ? "" : "s"}`,
    activity: room.lastActivity === null
      ? "No messages yet"
      : `Active ${relativeTime(room.lastActivity, now)}`,
    joined: joined(room.name),
  }));
}

export class Directory {
  #dialog;
  #list;
  #filter;
  #status;
  #load;
  #open;
  /** @type {RoomInfo[]} */
  #rooms = [];
  #joined;

  /**
   * @param {HTMLDialogElement} dialog
   * @param {{ load: () => Promise<RoomInfo[]>, joined: (name: string) => boolean, open: (name: string) => void, reason: (error: unknown) => string }} hooks
   */
  constructor(dialog, hooks) {
    this.#dialog = dialog;
    const $ = (selector) => /** @type {HTMLElement} */ (
      dialog.querySelector(selector)
    );
    this.#list = $(".directory-list");
    this.#filter = /** @type {HTMLInputElement} */ ($(".directory-filter"));
    this.#status = $(".directory-status");
    this.#load = () =>
      hooks.load().then((rooms) => {
        this.#rooms = rooms;
        this.#render();
      }, (error) => {
        this.#rooms = [];
        this.#render();
        this.#status.textContent = `Cannot list the rooms: ${
          hooks.reason(error)
        }`;
      });
    this.#open = hooks.open;
    this.#joined = hooks.joined;
    this.#filter.addEventListener("input", () => this.#render());
    $(".directory-refresh").addEventListener("click", () => this.#refresh());
    $(".directory-close").addEventListener("click", () => dialog.close());
    this.#list.addEventListener("click", (event) => {
      const button = /** @type {HTMLElement} */ (event.target)
        .closest("button[data-room]");
      if (!button) return;
      dialog.close();
      this.#open(button.dataset.room);
    });
  }

  show() {
    this.#filter.value = "";
    this.#rooms = [];
    this.#list.replaceChildren();
    this.#dialog.showModal();
    this.#filter.focus();
    this.#refresh();
  }

  #refresh() {
    this.#status.textContent = "Loading rooms…";
    this.#list.setAttribute("aria-busy", "true");
    void this.#load();
  }

  #render() {
    this.#list.setAttribute("aria-busy", "false");
    const rows = directoryRows(this.#rooms, {
      joined: this.#joined,
      filter: this.#filter.value,
    });
    this.#status.textContent = this.#rooms.length === 0
      ? "Nobody is in a public room right now."
      : rows.length === 0
      ? "No room by that name. Join it with the box in the sidebar."
      : `${rows.length} room${rows.length === 1 ? "" : "s"}`;
    this.#list.replaceChildren(...rows.map(roomItem));
  }
}

/** @param {Row} row */
function roomItem(row) {
  const item = document.createElement("li");
  item.className = "directory-room";
  const about = document.createElement("div");
  const name = document.createElement("p");
  name.className = "directory-name";
  name.textContent = `#${row.name}`;
  const details = document.createElement("p");
  details.className = "hint";
  details.textContent = `${row.members} · ${row.activity}`;
  about.append(name, details);
  const button = document.createElement("button");
  button.type = "button";
  button.className = row.joined ? "ghost" : "";
  button.dataset.room = row.name;
  button.textContent = row.joined ? "Open" : "Join";
  button.setAttribute(
    "aria-label",
    `${row.joined ? "Open" : "Join"} #${row.name}`,
  );
  item.append(about, button);
  return item;
}
