// The button that turns desktop notifications on and off, pressed while
// they are on; when the browser refuses them, the page says where to allow
// them.

/**
 * Listens to the button, which turns notifications on or off.
 * @param {HTMLElement} button
 * @param {{ notifier: import("./notifier.js").Notifier, notice: (text: string) => void }} hooks
 */
export function listenToNotifyToggle(button, { notifier, notice }) {
  button.addEventListener("click", async () => {
    const on = button.getAttribute("aria-pressed") !== "true";
    const now = await notifier.turn(on);
    button.setAttribute("aria-pressed", String(now));
    if (on && !now) {
      notice(
        "This browser does not allow notifications from this page. Allow them in its site settings, then try again.",
      );
    }
  });
}
