// Turns the tree markup.js reads from a message into DOM nodes: every piece
// of user text goes in with textContent, links only ever get the http(s)
// href markup.js checked, and open in a new tab without a referrer or a
// handle on this page.

import { parseMessage } from "./markup.js";

/** @typedef {import("./markup.js").Inline} Inline */

/**
 * The nodes of a message's body.
 * @param {string} text
 * @param {import("./markup.js").MarkupOptions} options
 * @returns {Node[]}
 */
export function renderMarkup(text, options) {
  return parseMessage(text, options).map((block) => {
    if (block.type === "codeblock") {
      const pre = document.createElement("pre");
      const code = document.createElement("code");
      code.textContent = block.text;
      pre.append(code);
      return pre;
    }
    const element = document.createElement(
      block.type === "quote" ? "blockquote" : "p",
    );
    element.append(...block.children.map(renderInline));
    return element;
  });
}

/**
 * @param {Inline} node
 * @returns {Node}
 */
function renderInline(node) {
  switch (node.type) {
    case "text":
      return document.createTextNode(node.text);
    case "code": {
      const code = document.createElement("code");
      code.textContent = node.text;
      return code;
    }
    case "strong":
    case "em": {
      const element = document.createElement(node.type);
      element.append(...node.children.map(renderInline));
      return element;
    }
    case "link": {
      const link = document.createElement("a");
      link.href = node.href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.textContent = node.text;
      return link;
    }
    case "mention": {
      const mention = document.createElement("span");
      mention.className = node.me ? "mention mention-me" : "mention";
      mention.textContent = `@${node.name}`;
      return mention;
    }
  }
}
