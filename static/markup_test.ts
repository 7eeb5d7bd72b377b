import assert from "node:assert/strict";
import { mentions, parseMessage } from "./markup.js";

function inline(text: string, options = {}) {
  const [block, ...rest] = parseMessage(text, options);
  assert.equal(rest.length, 0);
  assert(block && block.type === "paragraph");
  return block.children;
}

Deno.test("parseMessage() keeps plain text, line breaks and markup characters as text", () => {
  assert.deepEqual(parseMessage("hello\nworld"), [
    { type: "paragraph", children: [{ type: "text", text: "hello\nworld" }] },
  ]);
  for (
    const text of [
      "<img src=x onerror=alert(1)>",
      "2 * 3 * 4",
      "snake_case_name and a_b",
      "** not bold **",
      "`",
      "price: $5 * 2",
    ]
  ) {
    assert.deepEqual(inline(text), [{ type: "text", text }], text);
  }
});

Deno.test("parseMessage() reads bold, italic and inline code, nested", () => {
  assert.deepEqual(inline("a **bold _and italic_** b"), [
    { type: "text", text: "a " },
    {
      type: "strong",
      children: [
        { type: "text", text: "bold " },
        { type: "em", children: [{ type: "text", text: "and italic" }] },
      ],
    },
    { type: "text", text: " b" },
  ]);
  assert.deepEqual(inline("*it* `x **y**`"), [
    { type: "em", children: [{ type: "text", text: "it" }] },
    { type: "text", text: " " },
    { type: "code", text: "x **y**" },
  ]);
});

Deno.test("parseMessage() reads code blocks and quotes as blocks", () => {
  assert.deepEqual(
    parseMessage(
      "look:\n```js\nlet a = 1;\n**no**\n```\n> quoted *it*\n> on\nafter",
    ),
    [
      { type: "paragraph", children: [{ type: "text", text: "look:" }] },
      { type: "codeblock", text: "let a = 1;\n**no**" },
      {
        type: "quote",
        children: [
          { type: "text", text: "quoted " },
          { type: "em", children: [{ type: "text", text: "it" }] },
          { type: "text", text: "\non" },
        ],
      },
      { type: "paragraph", children: [{ type: "text", text: "after" }] },
    ],
  );
  assert.deepEqual(parseMessage("```\nnever closed"), [
    {
      type: "paragraph",
      children: [{ type: "text", text: "```\nnever closed" }],
    },
  ]);
});

Deno.test("parseMessage() links bare http and https URLs only, without the sentence's punctuation", () => {
  assert.deepEqual(inline("see https://example.com/a?b=1#c."), [
    { type: "text", text: "see " },
    {
      type: "link",
      href: "https://example.com/a?b=1#c",
      text: "https://example.com/a?b=1#c",
    },
    { type: "text", text: "." },
  ]);
  assert.deepEqual(inline("(http://x.test/wiki/A_(b))"), [
    { type: "text", text: "(" },
    {
      type: "link",
      href: "http://x.test/wiki/A_(b)",
      text: "http://x.test/wiki/A_(b)",
    },
    { type: "text", text: ")" },
  ]);
  for (
    const text of [
      "javascript:alert(1)",
      "JavaScript://%0aalert(1)",
      "data:text/html,<b>",
      "ftp://example.com",
      "xhttps://example.com",
      "https://",
    ]
  ) {
    assert(
      inline(text).every((node) => node.type === "text"),
      `${text} became a link`,
    );
  }
});

Deno.test("parseMessage() marks mentions of known names, and which are of the reader", () => {
  const options = { names: ["Ada Lovelace", "Bo"], me: "Bo" };
  assert.deepEqual(
    inline("hi @ada lovelace and @Bo, not @Bob or me@Bo", options),
    [
      { type: "text", text: "hi " },
      { type: "mention", name: "ada lovelace", me: false },
      { type: "text", text: " and " },
      { type: "mention", name: "Bo", me: true },
      { type: "text", text: ", not @Bob or me@Bo" },
    ],
  );
});

Deno.test("mentions() tells whether a text mentions the reader", () => {
  assert.equal(mentions("ping @Ada!", "Ada"), true);
  assert.equal(mentions("ping **@ada**", "Ada"), true);
  assert.equal(mentions("ping @Adam", "Ada"), false);
  assert.equal(mentions("`@Ada`", "Ada"), false);
  assert.equal(mentions("no one", "Ada"), false);
  assert.equal(mentions("@Ada", ""), false);
});
