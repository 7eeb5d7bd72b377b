// The page's keyboard shortcuts: Ctrl+K (⌘K) opens the quick switcher, and
// Alt+↑/↓ opens the room before or after the one in view.

/**
 * @typedef {{ openSwitcher: () => void, switchBy: (step: number) => void }} ShortcutHooks
 */

/**
 * Listens for the shortcuts on the whole page.
 * @param {ShortcutHooks} hooks
 */
export function listenForShortcuts(hooks) {
  document.addEventListener("keydown", (event) => {
    if (
      (event.ctrlKey || event.metaKey) && !event.altKey &&
      event.key.toLowerCase() === "k"
    ) {
      event.preventDefault();
      hooks.openSwitcher();
      return;
    }
    if (
      event.altKey && !event.ctrlKey && !event.metaKey &&
      (event.key === "ArrowUp" || event.key === "ArrowDown")
    ) {
      event.preventDefault();
      hooks.switchBy(event.key === "ArrowUp" ? -1 : 1);
    }
  });
}
