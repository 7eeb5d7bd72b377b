// Reads a message's text into a small tree the page renders with DOM nodes
// (render_markup.js), never as HTML: a safe subset of Markdown (**bold**,
// *italic* or _italic_, `code`, ``` code blocks ```, > quotes), bare http(s)
// links, and @mentions of known names. Anything else stays text. Pure.

/** A bare link: http or https only, up to white space or a bracket. */
const URL_PATTERN = /^https?:\/\/[^\s<>"]+/i;
/** Trailing characters that end a sentence rather than a URL. */
const URL_TRAILING = /[.,;:!?'"*_]+$/;
const WORD = /[\p{L}\p{N}_]/u;

/**
 * @typedef {{ type: "text", text: string }
 *   | { type: "strong" | "em", children: Inline[] }
 *   | { type: "code", text: string }
 *   | { type: "link", href: string, text: string }
 *   | { type: "mention", name: string, me: boolean }} Inline
 * @typedef {{ type: "paragraph" | "quote", children: Inline[] }
 *   | { type: "codeblock", text: string }} Block
 * @typedef {{ names?: readonly string[], me?: string }} MarkupOptions
 *   `names`: who may be mentioned; `me`: the reader's name
 */

/**
 * Parses a message's text into blocks.
 * @param {string} text
 * @param {MarkupOptions} options
 * @returns {Block[]}
 */
export function parseMessage(text, options = {}) {
  const names = [...new Set([...(options.names ?? []), options.me ?? ""])]
    .filter(Boolean)
    .sort((a, b) => b.length - a.length);
  const context = { names, me: options.me?.toLowerCase() ?? "" };
  /** @type {Block[]} */
  const blocks = [];
  const lines = text.split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trimStart().startsWith("```")) {
      const end = lines.findIndex((next, j) =>
        j > i && next.trim().startsWith("```")
      );
      if (end > i) {
        const first = line.trimStart().slice(3);
        const body = lines.slice(i + 1, end);
        // ```code``` on one line, or text after the fence, is code too.
        if (first.trim() && !/^[\w+-]+$/.test(first.trim())) {
          body.unshift(first);
        }
        blocks.push({ type: "codeblock", text: body.join("\n") });
        i = end + 1;
        continue;
      }
    }
    if (line.startsWith(">")) {
      const quoted = [];
      while (i < lines.length && lines[i].startsWith(">")) {
        quoted.push(lines[i].replace(/^> ?/, ""));
        i++;
      }
      blocks.push({
        type: "quote",
        children: parseInline(quoted.join("\n"), context),
      });
      continue;
    }
    const paragraph = [];
    while (
      i < lines.length && !lines[i].startsWith(">") &&
      !(paragraph.length > 0 && lines[i].trimStart().startsWith("```"))
    ) {
      paragraph.push(lines[i]);
      i++;
      if (lines[i]?.trimStart().startsWith("```")) break;
    }
    blocks.push({
      type: "paragraph",
      children: parseInline(paragraph.join("\n"), context),
    });
  }
  return blocks;
}

/**
 * Whether `text` mentions `me` (case-insensitive, as a whole name).
 * @param {string} text
 * @param {string} me
 * @returns {boolean}
 */
export function mentions(text, me) {
  if (!me || !text.includes("@")) return false;
  return parseMessage(text, { me }).some(function found(node) {
    if (node.type === "mention") return node.me;
    return "children" in node && node.children.some(found);
  });
}

/**
 * @param {string} text
 * @param {{ names: string[], me: string }} context
 * @returns {Inline[]}
 */
function parseInline(text, context) {
  /** @type {Inline[]} */
  const nodes = [];
  let plain = "";
  const flush = () => {
    if (plain) nodes.push({ type: "text", text: plain });
    plain = "";
  };
  let i = 0;
  while (i < text.length) {
    const before = text[i - 1] ?? " ";
    const rest = text.slice(i);
    const char = text[i];
    if (char === "`") {
      const end = text.indexOf("`", i + 1);
      if (end > i + 1) {
        flush();
        nodes.push({ type: "code", text: text.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    }
    if (rest.startsWith("**")) {
      const end = closing(text, "**", i + 2);
      if (end > 0) {
        flush();
        const children = parseInline(text.slice(i + 2, end), context);
        nodes.push({ type: "strong", children });
        i = end + 2;
        continue;
      }
    }
    if (
      (char === "*" || char === "_") && !WORD.test(before) &&
      !rest.startsWith(char + char)
    ) {
      const end = closing(text, char, i + 1);
      if (end > 0 && (char === "*" || !WORD.test(text[end + 1] ?? " "))) {
        flush();
        const children = parseInline(text.slice(i + 1, end), context);
        nodes.push({ type: "em", children });
        i = end + 1;
        continue;
      }
    }
    if ((char === "h" || char === "H") && !WORD.test(before)) {
      const link = readLink(rest);
      if (link) {
        flush();
        nodes.push({ type: "link", href: link.href, text: link.text });
        i += link.text.length;
        continue;
      }
    }
    if (char === "@" && !WORD.test(before)) {
      const name = context.names.find((candidate) =>
        rest.slice(1, candidate.length + 1).toLowerCase() ===
          candidate.toLowerCase() &&
        !WORD.test(rest[candidate.length + 1] ?? " ")
      );
      if (name) {
        flush();
        nodes.push({
          type: "mention",
          name: rest.slice(1, name.length + 1),
          me: name.toLowerCase() === context.me,
        });
        i += name.length + 1;
        continue;
      }
    }
    plain += char;
    i++;
  }
  flush();
  return nodes;
}

/**
 * Where the closing `marker` of an emphasis opened before `from` is: not
 * right after it, not after white space, and the text between not blank.
 * @returns {number} its index, or -1
 */
function closing(text, marker, from) {
  if (/\s/.test(text[from] ?? " ")) return -1;
  for (let end = text.indexOf(marker, from + 1); end > 0;) {
    if (!/\s/.test(text[end - 1]) && text.slice(from, end).trim()) return end;
    end = text.indexOf(marker, end + 1);
  }
  return -1;
}

/**
 * A bare http(s) link at the start of `text`, without the punctuation that
 * ends the sentence around it or a closing bracket it did not open.
 * @returns {{ href: string, text: string } | null}
 */
function readLink(text) {
  const match = text.match(URL_PATTERN);
  if (!match) return null;
  let link = match[0].replace(URL_TRAILING, "");
  for (const [open, close] of [["(", ")"], ["[", "]"]]) {
    while (
      link.endsWith(close) &&
      link.split(close).length > link.split(open).length
    ) {
      link = link.slice(0, -1).replace(URL_TRAILING, "");
    }
  }
  try {
    const url = new URL(link);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    if (!url.hostname) return null;
    return { href: url.href, text: link };
  } catch {
    return null;
  }
}
