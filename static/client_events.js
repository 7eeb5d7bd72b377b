// What the client's own events change on the page: the connection's state,
// who the server says the user is (a token's user needs no name dialog),
// and a host application that signed the user out, until the connection is
// back.

/**
 * @typedef {{
 *   identity: import("./identity.js").Identity,
 *   nameDialog: import("./name_dialog.js").NameDialog,
 *   endedPanel: import("./ended_panel.js").EndedPanel,
 *   rooms: import("./rooms.js").Rooms,
 *   showStatus: () => void,
 * }} ClientEventsPage
 *   `showStatus`: shows the connection's state
 */

/**
 * Listens to the client's `state`, `user` and `error` events.
 * @param {import("./client/mod.js").ChatClient} client
 * @param {ClientEventsPage} page
 */
export function listenToClient(client, page) {
  const { identity, nameDialog, endedPanel, rooms } = page;
  client.on("state", page.showStatus);
  client.on("user", ({ user, identity: who }) => {
    identity.identify(who);
    if (identity.signedIn) nameDialog.close();
    identity.show(user, { remember: false });
  });
  client.on("state", ({ state: now }) => {
    if (now === "open") identity.reconnected();
    if (now === "open" && endedPanel.signedOut) {
      endedPanel.signedOut = false;
      endedPanel.render(rooms.view);
    }
  });
  client.on("error", ({ error }) => {
    if (error.code !== "signed_out") return;
    endedPanel.signedOut = true;
    endedPanel.render(rooms.view);
  });
}
