// The options of a listbox whose focus stays in a text box (the mention
// list and the quick switcher): the box's aria-activedescendant names the
// option picked, which is marked selected and scrolled into view.

/**
 * Fills `list` with an option per label and points `box` at the active one.
 * @param {HTMLElement} list the element with role="listbox"
 * @param {HTMLElement} box the text box that keeps focus
 * @param {string[]} labels
 * @param {number} active index of the option picked
 */
export function showOptions(list, box, labels, active) {
  const items = labels.map((label, index) => {
    const item = document.createElement("li");
    item.id = `${list.id}-${index}`;
    item.setAttribute("role", "option");
    item.dataset.index = String(index);
    item.setAttribute("aria-selected", String(index === active));
    item.textContent = label;
    return item;
  });
  list.replaceChildren(...items);
  const picked = items[active];
  if (picked) {
    box.setAttribute("aria-activedescendant", picked.id);
    picked.scrollIntoView({ block: "nearest" });
  } else {
    box.removeAttribute("aria-activedescendant");
  }
}

/**
 * The index of the option a pointer event landed on, if any.
 * @param {Event} event
 * @returns {number | null}
 */
export function optionIndex(event) {
  const option = /** @type {HTMLElement} */ (event.target)
    .closest('[role="option"]');
  return option ? Number(option.dataset.index) : null;
}
