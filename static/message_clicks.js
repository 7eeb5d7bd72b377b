// Clicks in the message list: a message's ⋯ button opens its menu (or closes
// the one open), and a message not sent yet is retried or discarded.

/**
 * @typedef {{
 *   rooms: import("./rooms.js").Rooms,
 *   menu: import("./menu.js").Menu,
 *   messageMenu: import("./message_menu.js").MessageMenu,
 *   messageList: import("./message_list.js").MessageList,
 *   text: HTMLTextAreaElement,
 * }} MessageClicksPage
 *   `text`: the message box, which has the focus after a retry or a discard
 */

/**
 * Listens to the clicks on the list's buttons.
 * @param {HTMLElement} scroller the list's scrolling box
 * @param {MessageClicksPage} page
 */
export function listenToMessageClicks(scroller, page) {
  const { rooms, menu } = page;
  scroller.addEventListener("click", (event) => {
    const opener = event.target.closest("button[data-menu]");
    if (opener) {
      const view = rooms.view;
      const id = Number(opener.dataset.menu);
      const message = view?.messages.find((candidate) => candidate.id === id);
      if (menu.open) menu.close(false);
      else if (message) page.messageMenu.open(opener, view, message);
      return;
    }
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const view = rooms.view;
    if (button.dataset.action === "discard") view.discard(button.dataset.nonce);
    else view.retry(button.dataset.nonce);
    page.messageList.pendingChanged();
    page.text.focus();
  });
}
