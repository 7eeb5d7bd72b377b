// What @-autocomplete needs, pure: the @word being typed at the caret, the
// members it may mean, and the text once one is picked.

/** Most names offered at once. */
const MAX_CANDIDATES = 6;

/**
 * The mention being typed at `caret`: an `@` at the start or after white
 * space, then no white space up to the caret.
 * @param {string} text
 * @param {number} caret
 * @returns {{ start: number, query: string } | null} `start` is the `@`'s index
 */
export function mentionAt(text, caret) {
  const before = text.slice(0, caret);
  const match = before.match(/(?:^|\s)@([^\s@]*)$/u);
  if (!match) return null;
  return { start: caret - match[1].length - 1, query: match[1] };
}

/**
 * The names `query` may mean: those that start with it first, then those
 * with a later word that does, each group in the order given.
 * @param {readonly string[]} names
 * @param {string} query
 * @returns {string[]}
 */
export function mentionCandidates(names, query) {
  const wanted = query.toLowerCase();
  const unique = [...new Set(names)];
  const first = unique.filter((name) => name.toLowerCase().startsWith(wanted));
  const later = unique.filter((name) =>
    !first.includes(name) &&
    name.toLowerCase().split(/\s+/).some((word) => word.startsWith(wanted))
  );
  return [...first, ...later].slice(0, MAX_CANDIDATES);
}

/**
 * The text with the mention typed from `start` to `caret` replaced by
 * `@name` and a space, and where the caret goes.
 * @param {string} text
 * @param {{ start: number, caret: number, name: string }} pick
 * @returns {{ text: string, caret: number }}
 */
export function insertMention(text, { start, caret, name }) {
  const mention = `@${name} `;
  const after = text.slice(caret).replace(/^ /, "");
  return {
    text: text.slice(0, start) + mention + after,
    caret: start + mention.length,
  };
}
