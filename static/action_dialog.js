// The dialog that confirms an action that cannot be undone (deleting a
// message) or that needs details (a ban's duration, a reason).

/** Ban durations offered, in seconds; `""` lasts until lifted. */
const DURATIONS = [
  ["3600", "1 hour"],
  ["86400", "1 day"],
  ["604800", "1 week"],
  ["", "Until lifted"],
];

/**
 * @typedef {{ title: string, text: string, confirm: string, duration?: boolean, reason?: boolean }} Question
 * @typedef {{ duration?: number, reason?: string }} Answer
 */

export class ActionDialog {
  #dialog;
  #title;
  #text;
  #fields;
  #confirm;
  /** @type {((answer: Answer | null) => void) | null} */
  #settle = null;

  /** @param {HTMLDialogElement} dialog */
  constructor(dialog) {
    this.#dialog = dialog;
    const $ = (selector) => /** @type {HTMLElement} */ (
      dialog.querySelector(selector)
    );
    this.#title = $(".action-title");
    this.#text = $(".action-text");
    this.#fields = $(".action-fields");
    this.#confirm = $(".action-confirm");
    $(".action-cancel").addEventListener("click", () => dialog.close(""));
    dialog.addEventListener("close", () => {
      const settle = this.#settle;
      this.#settle = null;
      settle?.(dialog.returnValue === "confirm" ? this.#answer() : null);
    });
  }

  /**
   * Asks; resolves with the details, or `null` when cancelled.
   * @param {Question} question
   * @returns {Promise<Answer | null>}
   */
  ask(question) {
    if (this.#dialog.open) this.#dialog.close("");
    this.#title.textContent = question.title;
    this.#text.textContent = question.text;
    this.#confirm.textContent = question.confirm;
    const fields = [];
    if (question.duration) fields.push(durationField());
    if (question.reason) fields.push(reasonField());
    this.#fields.replaceChildren(...fields);
    this.#dialog.returnValue = "";
    const { promise, resolve } = Promise.withResolvers();
    this.#settle = resolve;
    this.#dialog.showModal();
    (fields[0]?.querySelector("select, input") ?? this.#confirm).focus();
    return promise;
  }

  /** @returns {Answer} */
  #answer() {
    const form = new FormData(this.#dialog.querySelector("form"));
    /** @type {Answer} */
    const answer = {};
    const duration = form.get("duration");
    if (duration) answer.duration = Number(duration);
    const reason = String(form.get("reason") ?? "").trim();
    if (reason) answer.reason = reason;
    return answer;
  }
}

function durationField() {
  const select = document.createElement("select");
  select.name = "duration";
  for (const [value, text] of DURATIONS) {
    select.append(
      new Option(text, value, value === "86400", value === "86400"),
    );
  }
  return labelled("For how long", select);
}

function reasonField() {
  const input = document.createElement("input");
  input.name = "reason";
  input.maxLength = 200;
  input.autocomplete = "off";
  return labelled("Reason (optional, kept in the moderation record)", input);
}

/**
 * @param {string} text
 * @param {HTMLElement} control
 */
function labelled(text, control) {
  const label = document.createElement("label");
  label.append(text, control);
  return label;
}
