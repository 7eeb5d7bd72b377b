// Painting the page around the messages from the state of the rooms and the
// connection: all of it when another room comes into view, the rooms list
// with the unread count in the tab's title, the connection's state, and the
// parts a frame found out of date.

import { titleFor } from "./attention.js";
import { showConnection } from "./connection_status.js";
import { DEFAULT_ROOM } from "./rooms.js";

/**
 * @typedef {import("./room_view.js").RoomView} RoomView
 * @typedef {{ menu: HTMLElement, status: HTMLElement, statusText: HTMLElement }} PageViewParts
 * @typedef {{
 *   client: import("./client/mod.js").ChatClient,
 *   rooms: import("./rooms.js").Rooms,
 *   header: import("./room_header.js").RoomHeader,
 *   menu: import("./menu.js").Menu,
 *   composer: import("./composer.js").Composer,
 *   messageList: import("./message_list.js").MessageList,
 *   sidebar: import("./sidebar.js").Sidebar,
 *   typing: import("./typing_indicator.js").TypingIndicator,
 *   endedPanel: import("./ended_panel.js").EndedPanel,
 *   drawer: import("./drawer.js").Drawer,
 *   frames: import("./frame_batch.js").FrameBatch,
 * }} PageViewPage
 *   what the page shows, and where its state comes from
 */

/** The page's painter. */
export class PageView {
  #parts;
  #page;

  /**
   * @param {PageViewParts} parts
   * @param {PageViewPage} page
   */
  constructor(parts, page) {
    this.#parts = parts;
    this.#page = page;
  }

  /**
   * Shows the room that just came into view.
   * @param {RoomView} view
   */
  shown(view) {
    const page = this.#page;
    const rooms = page.rooms;
    page.header.show(rooms.labelFor(view.name), {
      muted: rooms.isMuted(view.name),
      // Everyone is in the default room: it comes back at once when left.
      leavable: view.name !== DEFAULT_ROOM,
    });
    page.menu.close(false);
    page.composer.cancelEditing();
    page.messageList.show(view);
    this.renderRooms();
    page.sidebar.renderMembers(view);
    page.typing.render(view.typing);
    page.endedPanel.render(view);
    page.drawer.close();
  }

  /**
   * Lists the rooms and updates the title. Not left to the next frame: hidden
   * tabs get none.
   */
  renderRooms() {
    this.#page.sidebar.renderRooms(this.#page.rooms.views);
    this.updateTitle();
  }

  /** Puts the unread count in the tab's title and on the drawer's button. */
  updateTitle() {
    const rooms = this.#page.rooms;
    const unread = rooms.unread(document.hidden);
    this.#parts.menu.dataset.unread = unread > 0 ? String(unread) : "";
    document.title = titleFor(rooms.labelFor(rooms.current), unread);
  }

  /** Shows the connection's state; anything not sent yet must say it waits. */
  showStatus() {
    const { client, frames } = this.#page;
    showConnection(this.#parts, client.state);
    if (client.state !== "open") frames.schedule("pending", "list");
  }

  /**
   * Paints the parts a frame found out of date.
   * @param {Readonly<Record<string, boolean>>} dirty
   */
  paint(dirty) {
    const { rooms, sidebar, messageList, typing } = this.#page;
    if (dirty.rooms) this.renderRooms();
    if (dirty.members) sidebar.renderMembers(rooms.view);
    if (dirty.list) messageList.refresh();
    else if (dirty.pending) messageList.pendingChanged();
    if (dirty.typing) typing.render(rooms.view?.typing);
  }
}
