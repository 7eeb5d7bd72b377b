/**
 * Hostile input against a real server. Every case ends by checking that the
 * server still serves a normal client and that no connection or subscriber
 * is left behind. A client the server closes receives the close code even
 * while it keeps sending (see closing_handshake.ts), so flooding cases
 * assert the code the client saw.
 */
import assert from "node:assert/strict";
import { RawPeer } from "../testing/raw_peer.ts";
import { encodeFrame, Opcode } from "../testing/wire.ts";
import { openStalledPeer } from "../bench/soak_clients.ts";
import { waitFor, withTimeout } from "../testing/async.ts";
import { connect, type TestClient } from "../testing/client.ts";
import {
  largeHistory,
  startServer,
  startTcpServer,
  type TestServer,
} from "../testing/server.ts";
import { defaultConfig } from "./settings.ts";
import { JSON_PROTOCOL } from "./protocol.ts";

const encoder = new TextEncoder();

/**
 * Opens a `chat.v1` client, consumes `hello` and, when the server has rooms
 * (its `hello` names a `defaultRoom`), joins that room.
 */
async function connectChat(url: string): Promise<TestClient> {
  const client = await connect(url, { json: true });
  const hello = await client.nextOfType("hello") as Record<string, unknown>;
  const room = hello.defaultRoom;
  if (typeof room === "string") {
    client.sendJson({ type: "join", room });
    while (true) {
      const event = await client.nextEvent() as { type: string };
      if (event.type === "joined") break;
    }
  }
  return client;
}

/** Waits until nothing is left open, then checks a normal client round trip. */
async function assertHealthy(
  server: Pick<TestServer, "handler" | "wsUrl">,
): Promise<void> {
  const { handler } = server;
  await waitFor(
    () =>
      handler.connectionCount === 0 && handler.broker.subscriberCount() === 0,
    "every connection and subscriber to be gone",
  );
  const client = await connectChat(server.wsUrl);
  try {
    client.sendJson({ type: "send", text: "still here", nonce: "health" });
    const message = await client.nextOfType("message");
    assert.equal(message.text, "still here");
  } finally {
    await client[Symbol.asyncDispose]();
  }
  await waitFor(
    () =>
      handler.connectionCount === 0 && handler.broker.subscriberCount() === 0,
    "the healthy client to be gone",
  );
}

/** Stores 100 messages of 4 KB in `general`: a history page of ~400 KB. */
async function fillHistory(server: Pick<TestServer, "wsUrl">): Promise<void> {
  const writer = await connectChat(server.wsUrl);
  try {
    // Ten at a time: the writer gets each message back, and 40 KB in flight
    // stays under the smallest send buffer these tests set, however slowly
    // a busy machine lets it read.
    for (let first = 1; first <= 100; first += 10) {
      for (let i = first; i < first + 10; i++) {
        writer.sendJson({
          type: "send",
          text: "h".repeat(4000),
          nonce: `${i}`,
        });
      }
      for (let i = 0; i < 10; i++) await writer.nextOfType("ack");
    }
  } finally {
    await writer[Symbol.asyncDispose]();
  }
}

/** Sends raw bytes as an HTTP request and returns the status line's code, or `null` when the server just closed. */
async function rawRequest(
  port: number,
  request: string | Uint8Array,
): Promise<number | null> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      typeof request === "string" ? encoder.encode(request) : request,
    );
    const buffer = new Uint8Array(1024);
    const read = await withTimeout(conn.read(buffer), "a response");
    if (read === null) return null;
    const head = new TextDecoder().decode(buffer.subarray(0, read));
    const status = head.match(/^HTTP\/1\.1 (\d{3})/)?.[1];
    assert(status, `not an HTTP response: ${head.slice(0, 80)}`);
    return Number(status);
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionReset) return null;
    throw error;
  } finally {
    conn.close();
  }
}

/** Opens a raw `chat.v1` peer. */
function openJsonPeer(port: number): Promise<RawPeer> {
  return RawPeer.open(port, { protocol: JSON_PROTOCOL });
}

/** `count` copies of a text frame, to write at once. */
async function frames(text: string, count: number): Promise<Uint8Array> {
  const frame = encodeFrame(Opcode.text, encoder.encode(text));
  const all = await new Blob(Array.from({ length: count }, () => frame))
    .arrayBuffer();
  return new Uint8Array(all);
}

Deno.test("/ws closes binary frames of random bytes with 1003", async () => {
  await using server = startServer();
  for (let i = 0; i < 10; i++) {
    await using client = await connect(server.wsUrl, { json: i % 2 === 0 });
    const size = 1 + Math.floor(Math.random() * 4096);
    client.socket.send(crypto.getRandomValues(new Uint8Array(size)));
    assert.equal((await withTimeout(client.closed, "close")).code, 1003);
  }
  assert.equal(server.handler.metrics.serverCloses.value({ code: "1003" }), 10);
  await assertHealthy(server);
});

Deno.test("/ws drops connections that send broken WebSocket framing", async (t) => {
  await using server = startServer();
  const cases: [string, (peer: RawPeer) => Promise<void>][] = [
    [
      "random bytes",
      (peer) => peer.write(crypto.getRandomValues(new Uint8Array(512))),
    ],
    [
      "invalid UTF-8 in a text frame",
      (peer) =>
        peer.send(Opcode.text, new Uint8Array([0x61, 0xed, 0xa0, 0x80])),
    ],
    [
      "byte 0xFF in a text frame",
      (peer) => peer.send(Opcode.text, new Uint8Array([0xff])),
    ],
    ["a reserved opcode", (peer) => peer.send(0x3, "x")],
    ["a continuation without a start", (peer) => peer.send(0x0, "x")],
    [
      "a fragmented ping",
      (peer) => peer.write(new Uint8Array([0x09, 0x80, 1, 2, 3, 4])),
    ],
    [
      "a declared length of 2^63 bytes",
      (peer) =>
        peer.write(
          new Uint8Array([
            0x81,
            0xff,
            0x7f,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            1,
            2,
            3,
            4,
          ]),
        ),
    ],
    [
      "a declared length of 64 MiB",
      (peer) =>
        peer.write(
          new Uint8Array([0x81, 0xff, 0, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4]),
        ),
    ],
  ];
  for (const [name, attack] of cases) {
    await t.step(name, async () => {
      using peer = await RawPeer.open(server.port);
      await attack(peer);
      // Deno's WebSocket layer ends the TCP connection without a close frame.
      assert.equal(await peer.closeCode(), null);
      await waitFor(() => server.handler.connectionCount === 0, "the drop");
    });
  }
  await assertHealthy(server);
});

Deno.test("/ws answers malformed JSON requests with error frames and stays open", async (t) => {
  // Refused requests are answered within the control budget; this case
  // sends more of them than its default burst.
  await using server = startServer({ controlBurst: 100 });
  const client = await connectChat(server.wsUrl);
  try {
    const cases: [string, string][] = [
      ["{", "bad_json"],
      ['{"type":"send","text":"x"', "bad_json"],
      ["nul", "bad_json"],
      ["[]]", "bad_json"],
      ["{'type':'ping'}", "bad_json"],
      ["\u0000", "bad_json"],
      ["[]", "bad_request"],
      ["null", "bad_request"],
      ["42", "bad_request"],
      ['"send"', "bad_request"],
      ["true", "bad_request"],
      ["{}", "bad_request"],
      ['{"type":42}', "bad_request"],
      ['{"type":null}', "bad_request"],
      ['{"type":["send"]}', "bad_request"],
      ['{"type":"send"}', "bad_request"],
      ['{"type":"send","text":42}', "bad_request"],
      ['{"type":"send","text":null}', "bad_request"],
      ['{"type":"send","text":{"toString":"x"}}', "bad_request"],
      ['{"type":"send","text":["a"]}', "bad_request"],
      ['{"type":"send","text":"hi","nonce":42}', "bad_request"],
      ['{"type":"set_name","name":42}', "invalid_name"],
      ['{"type":"shout"}', "bad_request"],
      ['{"type":"SEND","text":"x"}', "bad_request"],
      ['{"type":"__proto__"}', "bad_request"],
      ['{"type":"constructor"}', "bad_request"],
      ['{"__proto__":{"type":"send","text":"x"}}', "bad_request"],
      ['{"type":"send","text":1e400}', "bad_request"],
      ['{"type":"send","text":-1e400}', "bad_request"],
      ['{"type":"ping","nonce":123456789012345678901234567890}', "bad_request"],
      [
        `{"type":"send","text":"hi","nonce":${"9".repeat(10_000)}}`,
        "bad_request",
      ],
    ];
    for (const [frame, code] of cases) {
      await t.step(JSON.stringify(frame.slice(0, 50)), async () => {
        client.socket.send(frame);
        const error = await client.nextOfType("error");
        assert.equal(error.code, code, error.message);
      });
    }
    client.sendJson({ type: "send", text: "after the garbage" });
    assert.equal(
      (await client.nextOfType("message")).text,
      "after the garbage",
    );
  } finally {
    await client[Symbol.asyncDispose]();
  }
  await assertHealthy(server);
});

/** The largest `CHAT_MAX_MESSAGE_BYTES` there is (a stored message must fit a Deno KV value). */
const LARGEST_MESSAGE_BYTES = 16_384;
/** The largest chat.v1 frame at that setting: 6 × the text limit + 1 KiB. */
const LARGEST_FRAME = LARGEST_MESSAGE_BYTES * 6 + 1024;

Deno.test("/ws survives 100,000 levels of JSON nesting", async (t) => {
  const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
  await t.step("100,000 levels exceed every frame limit: 1009", async () => {
    await using server = startServer({
      maxMessageBytes: LARGEST_MESSAGE_BYTES,
    });
    await using client = await connect(server.wsUrl, { json: true });
    client.socket.send(nested(100_000));
    assert.equal((await withTimeout(client.closed, "close")).code, 1009);
    await assertHealthy(server);
  });
  await t.step(
    "the deepest that fits a frame: parsed and refused",
    async () => {
      await using server = startServer({
        maxMessageBytes: LARGEST_MESSAGE_BYTES,
      });
      const depth = Math.floor((LARGEST_FRAME - 64) / 6);
      const client = await connectChat(server.wsUrl);
      try {
        client.socket.send(nested(depth * 3));
        assert.equal((await client.nextOfType("error")).code, "bad_request");
        client.socket.send('{"a":'.repeat(depth) + "1" + "}".repeat(depth));
        assert.equal((await client.nextOfType("error")).code, "bad_request");
        client.socket.send(
          `{"type":"send","room":"general","text":"deep","extra":${
            nested(depth * 2)
          }}`,
        );
        assert.equal((await client.nextOfType("message")).text, "deep");
      } finally {
        await client[Symbol.asyncDispose]();
      }
      await assertHealthy(server);
    },
  );
});

Deno.test("/ws refuses 1 MB strings with 1009 and takes the largest allowed", async (t) => {
  const huge = "x".repeat(1_000_000);
  await using server = startServer({ maxMessageBytes: LARGEST_MESSAGE_BYTES });
  await t.step("plain text: 1009", async () => {
    await using client = await connect(server.wsUrl);
    client.socket.send(huge);
    assert.equal((await withTimeout(client.closed, "close")).code, 1009);
  });
  await t.step("chat.v1 text: 1009", async () => {
    await using client = await connect(server.wsUrl, { json: true });
    client.socket.send(JSON.stringify({ type: "send", text: huge }));
    assert.equal((await withTimeout(client.closed, "close")).code, 1009);
  });
  await t.step("chat.v1 name: 1009", async () => {
    await using client = await connect(server.wsUrl, { json: true });
    client.socket.send(JSON.stringify({ type: "set_name", name: huge }));
    assert.equal((await withTimeout(client.closed, "close")).code, 1009);
  });
  await t.step(
    "within the frame: message_too_large, invalid_name, then the largest text",
    async () => {
      const client = await connectChat(server.wsUrl);
      try {
        client.sendJson({ type: "send", text: huge.slice(0, 90_000) });
        assert.equal(
          (await client.nextOfType("error")).code,
          "message_too_large",
        );
        client.sendJson({ type: "set_name", name: huge.slice(0, 90_000) });
        assert.equal((await client.nextOfType("error")).code, "invalid_name");
        const largest = "\u00e9".repeat(LARGEST_MESSAGE_BYTES / 2);
        client.sendJson({ type: "send", text: largest });
        assert.equal((await client.nextOfType("message")).text, largest);
      } finally {
        await client[Symbol.asyncDispose]();
      }
    },
  );
  await assertHealthy(server);
});

Deno.test("/ws refuses NUL, control characters and lone surrogates in text", async (t) => {
  await using server = startServer();
  const bad = [
    "a\u0000b",
    "\u0007bell",
    "esc\u001b[2J",
    "del\u007f",
    "c1\u0085",
    "\ud800",
    "x\udfff",
    "\udc00\ud800",
  ];
  const client = await connectChat(server.wsUrl);
  try {
    for (const text of bad) {
      await t.step(`chat.v1 ${JSON.stringify(text)}`, async () => {
        client.sendJson({ type: "send", text, nonce: "n" });
        const error = await client.nextOfType("error");
        assert.equal(error.code, "bad_request");
        assert.equal(error.nonce, "n");
      });
    }
    client.sendJson({ type: "send", text: "tab\tand\r\nlines" });
    assert.equal(
      (await client.nextOfType("message")).text,
      "tab\tand\r\nlines",
    );
  } finally {
    await client[Symbol.asyncDispose]();
  }
  for (const text of bad.slice(0, 5)) {
    await t.step(`plain ${JSON.stringify(text)}: 1007`, async () => {
      await using plain = await connect(server.wsUrl);
      plain.socket.send(text);
      assert.equal((await withTimeout(plain.closed, "close")).code, 1007);
    });
  }
  await assertHealthy(server);
});

Deno.test("/ws names: invisible, bidirectional and control characters are refused", async (t) => {
  await using server = startServer();
  const refused = [
    "a\u202eb", // right-to-left override
    "\u202dAda", // left-to-right override
    "Ada\u2066", // left-to-right isolate
    "A\u200bda", // zero-width space
    "A\u200cda", // zero-width non-joiner
    "A\ufeffda", // byte-order mark inside
    "A\u2060da", // word joiner
    "A\u00adda", // soft hyphen
    "A\u0000da",
    "A\u001bda",
    "A\u0085da",
    "\ue000", // private use
    "\u0378", // unassigned
    "\ud800", // lone surrogate
    "   ",
    "",
    "n".repeat(33),
  ];
  const client = await connectChat(server.wsUrl);
  try {
    for (const name of refused) {
      await t.step(`set_name ${JSON.stringify(name)}`, async () => {
        client.sendJson({ type: "set_name", name });
        assert.equal((await client.nextOfType("error")).code, "invalid_name");
      });
    }
    const accepted: [string, string][] = [
      ["  Ada  ", "Ada"],
      ["\ufeffAda\u3000", "Ada"], // trim() also drops a BOM and ideographic space
      ["e\u0301", "\u00e9"], // NFC
      ["\u{1f469}\u200d\u{1f4bb}", "\u{1f469}\u200d\u{1f4bb}"], // ZWJ emoji
      ["\u05e2\u05d1\u05e8\u05d9\u05ea", "\u05e2\u05d1\u05e8\u05d9\u05ea"], // Hebrew letters
      ["\u{1f600}".repeat(32), "\u{1f600}".repeat(32)],
    ];
    for (const [name, normalized] of accepted) {
      await t.step(`set_name ${JSON.stringify(name)} accepted`, async () => {
        client.sendJson({ type: "set_name", name });
        assert.equal((await client.nextOfType("renamed")).user, normalized);
      });
    }
  } finally {
    await client[Symbol.asyncDispose]();
  }
  await t.step("?name= with a refused name: 400", async () => {
    for (const name of refused.filter((name) => name.isWellFormed())) {
      const res = await fetch(
        `${server.origin}/ws?name=${encodeURIComponent(name)}`,
        { headers: upgradeHeaders() },
      );
      assert.equal(res.status, 400, JSON.stringify(name));
      await res.body?.cancel();
    }
  });
  await assertHealthy(server);
});

Deno.test("/ws closes a 10,000-frame burst at the rate limit with 1008", async () => {
  await using server = startServer();
  await using observer = await connect(server.wsUrl);
  await using flooder = await connect(server.wsUrl);
  await waitFor(() => server.handler.connectionCount === 2, "both clients");
  for (let i = 0; i < 10_000; i++) flooder.socket.send(`flood ${i}`);
  assert.equal((await withTimeout(flooder.closed, "close")).code, 1008);
  await waitFor(
    () => server.handler.connectionCount === 1,
    "the flooder's end",
  );
  const { metrics } = server.handler;
  assert.equal(metrics.serverCloses.value({ code: "1008" }), 1);
  // Posts to a room are stored in order, so a marker sent now arrives after
  // every flood message the server accepted.
  observer.socket.send("marker");
  let accepted = 0;
  for (let frame = await observer.nextFrame(); frame !== "marker";) {
    assert.equal(frame, `flood ${accepted++}`);
    frame = await observer.nextFrame();
  }
  // The burst (rateBurst, 20) and what the bucket refilled meanwhile.
  assert(accepted >= 20 && accepted < 100, `accepted ${accepted}`);
  await observer[Symbol.asyncDispose]();
  await assertHealthy(server);
});

Deno.test("/ws delivers a 10,000-frame burst within the limits, losing none", async () => {
  await using server = startServer({ rateLimit: 100_000, rateBurst: 100_000 });
  await using observer = await connect(server.wsUrl);
  await using sender = await connect(server.wsUrl);
  await waitFor(() => server.handler.connectionCount === 2, "both clients");
  for (let i = 0; i < 10_000; i++) sender.socket.send(`burst ${i}`);
  for (let i = 0; i < 10_000; i++) {
    assert.equal(await observer.nextFrame(), `burst ${i}`);
  }
  assert.equal(server.handler.metrics.messagesReceived.value(), 10_000);
  await observer[Symbol.asyncDispose]();
  await sender[Symbol.asyncDispose]();
  await assertHealthy(server);
});

/**
 * The close code a raw peer receives when `trigger` makes the server end it
 * while the peer goes on sending `flood`.
 */
async function codeWhileSending(
  peer: RawPeer,
  flood: Uint8Array,
  trigger: () => Promise<void>,
): Promise<number | null> {
  const stop = new AbortController();
  let sending = Promise.resolve();
  try {
    await trigger();
    sending = peer.keepSending(flood, stop.signal);
    return await peer.closeCode();
  } finally {
    stop.abort();
    await sending;
    peer[Symbol.dispose]();
  }
}

Deno.test("/ws delivers its close code to a client that keeps sending", async (t) => {
  await using server = startServer();
  // Frames of 4 KB: the server reads what the client sent until its close
  // frame, and large frames cost it fewer events per byte.
  const spam = await frames("s".repeat(4000), 16);
  const pings = await frames(`{"type":"ping"${" ".repeat(4000)}}`, 16);
  // Without the closing handshake such a client got the code at most 1
  // time in 10; each case runs three times.
  const cases: [
    string,
    number,
    () => Promise<RawPeer>,
    Uint8Array,
    (
      peer: RawPeer,
    ) => Promise<void>,
  ][] = [
    [
      "plain text, binary frame",
      1003,
      () => RawPeer.open(server.port),
      spam,
      (peer) => peer.send(Opcode.binary, new Uint8Array([1, 2, 3])),
    ],
    [
      "plain text, oversize message",
      1009,
      () => RawPeer.open(server.port),
      spam,
      (peer) => peer.send(Opcode.text, "x".repeat(4097)),
    ],
    [
      "plain text, messages past the rate limit",
      1008,
      () => RawPeer.open(server.port),
      spam,
      async () => {},
    ],
    [
      "chat.v1, pings past the control budget",
      1008,
      () => openJsonPeer(server.port),
      pings,
      async () => {},
    ],
    [
      "chat.v1, binary frame",
      1003,
      () => openJsonPeer(server.port),
      pings,
      (peer) => peer.send(Opcode.binary, new Uint8Array([1, 2, 3])),
    ],
  ];
  for (const [name, code, open, flood, trigger] of cases) {
    await t.step(`${name}: ${code}`, async () => {
      for (let trial = 0; trial < 3; trial++) {
        const peer = await open();
        assert.equal(
          await codeWhileSending(peer, flood, () => trigger(peer)),
          code,
        );
      }
    });
  }
  await assertHealthy(server);
});

Deno.test("/ws delivers 1013 to a slow consumer that keeps sending", async () => {
  // History pages are bounded by the send buffer: let them be large. The
  // rate lets the flood's first requests through and bounds the reads it
  // keeps waiting (each is ~400 KB of the store); no strikes close it first.
  // The closing handshake waits as long as the test may take to notice the
  // cut-off on a busy machine, so the code's delivery is what is tested.
  const history = await largeHistory();
  await using server = startServer({
    maxBufferedBytes: 400_000,
    rateLimit: 50,
    rateBurst: 50,
    rateLimitStrikes: 1_000_000,
    closeTimeout: 30_000,
  }, { history });
  // Each history reply is ~400 KB; the peer reads none of them until the
  // server has cut it off, and goes on asking meanwhile.
  const peer = await openJsonPeer(server.port);
  await peer.send(Opcode.text, '{"type":"join","room":"general"}');
  const requests = await frames(
    '{"type":"history","room":"general","before":101}',
    16,
  );
  const code = await codeWhileSending(peer, requests, async () => {
    const stop = new AbortController();
    const sending = peer.keepSending(requests, stop.signal);
    try {
      await waitFor(
        () => server.handler.metrics.slowConsumers.value() === 1,
        "the cut-off",
      );
    } finally {
      stop.abort();
      await sending;
    }
  });
  assert.equal(code, 1013);
  await assertHealthy(server);
});

Deno.test("/ws stops answering floods of refused requests and closes them with 1008", async (t) => {
  await using server = startServer();
  const { controlBurst } = defaultConfig();
  const observer = await connectChat(server.wsUrl);
  try {
    const cases: [string, string, boolean][] = [
      ["not JSON", "{", true],
      ["unknown types", '{"type":"shout"}', true],
      [
        "sends to a room not joined",
        '{"type":"send","room":"x","text":"y"}',
        true,
      ],
      ["pings", '{"type":"ping"}', true],
      ["plain text, blank messages", " ", false],
    ];
    for (const [name, frame, json] of cases) {
      await t.step(name, async () => {
        await using flooder = await connect(server.wsUrl, { json });
        for (let i = 0; i < 20_000; i++) flooder.socket.send(frame);
        // Other clients are answered meanwhile.
        observer.sendJson({ type: "ping", nonce: name });
        assert.equal((await observer.nextOfType("pong")).nonce, name);
        assert.equal((await withTimeout(flooder.closed, "close")).code, 1008);
        const answered = [];
        while (flooder.buffered > 0) answered.push(await flooder.nextFrame());
        const refusals = answered.filter((frame) => !frame.includes('"hello"'));
        if (!json) assert.equal(refusals.length, 0);
        else {
          // The burst, and what the bucket refilled while the flood lasted.
          assert(
            refusals.length >= controlBurst &&
              refusals.length <= controlBurst + 10,
            `answered ${refusals.length}`,
          );
        }
      });
    }
  } finally {
    await observer[Symbol.asyncDispose]();
  }
  assert.equal(server.handler.metrics.serverCloses.value({ code: "1008" }), 5);
  await assertHealthy(server);
});

Deno.test("/ws budget lets a reconnecting client rejoin every room and page its history at once", async () => {
  await using server = startServer();
  const { maxRooms } = defaultConfig();
  await using client = await connect(server.wsUrl, { json: true });
  await client.nextOfType("hello");
  const rooms = Array.from({ length: maxRooms }, (_, i) => `room-${i}`);
  for (const room of rooms) client.sendJson({ type: "join", room, since: 0 });
  for (const room of rooms) {
    client.sendJson({ type: "history", room, before: 1 });
  }
  client.sendJson({ type: "ping", nonce: "last" });
  const seen = { joined: 0, history: 0, pong: 0 };
  while (seen.joined + seen.history + seen.pong < 2 * maxRooms + 1) {
    const event = await client.nextEvent();
    assert.notEqual(event.type, "error", JSON.stringify(event));
    if (event.type === "joined" || event.type === "history") {
      seen[event.type]++;
    }
    if (event.type === "pong") seen.pong++;
  }
  assert.equal(seen.joined, maxRooms);
});

function upgradeHeaders(
  overrides: Record<string, string | null> = {},
): Record<string, string> {
  const headers: Record<string, string | null> = {
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(headers).filter((entry): entry is [string, string] =>
      entry[1] !== null
    ),
  );
}

Deno.test("/ws lets one client open connections up to maxConnections, then 503", async () => {
  await using server = startServer({ maxConnections: 200 });
  const clients = await Promise.all(
    Array.from({ length: 200 }, () => connect(server.wsUrl)),
  );
  try {
    assert.equal(server.handler.connectionCount, 200);
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${server.origin}/ws`, {
        headers: upgradeHeaders(),
      });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get("retry-after"), "5");
      await res.body?.cancel();
    }
  } finally {
    await Promise.all(clients.map((client) => client[Symbol.asyncDispose]()));
  }
  assert.equal(
    server.handler.metrics.upgradesRefused.value({ status: "503" }),
    20,
  );
  await assertHealthy(server);
});

Deno.test("/ws refuses a missing or malformed Sec-WebSocket-Key with 400", async (t) => {
  await using server = startServer();
  const keys: [string, string | null][] = [
    ["missing", null],
    ["empty", ""],
    ["too short", "abc"],
    ["not base64", "!!!!!!!!!!!!!!!!!!!!!!=="],
    ["17 bytes", btoa("a".repeat(17))],
    ["15 bytes", btoa("a".repeat(15))],
    ["16 bytes without padding", "dGhlIHNhbXBsZSBub25jZQ"],
  ];
  for (const [name, key] of keys) {
    await t.step(name, async () => {
      const res = await fetch(`${server.origin}/ws`, {
        headers: upgradeHeaders({ "sec-websocket-key": key }),
      });
      assert.equal(res.status, 400);
      assert.match(await res.text(), /Sec-WebSocket-Key/);
    });
  }
  await t.step("an unsupported version: 426 naming version 13", async () => {
    for (const version of [null, "8", "14", "13, 8"]) {
      const res = await fetch(`${server.origin}/ws`, {
        headers: upgradeHeaders({ "sec-websocket-version": version }),
      });
      assert.equal(res.status, 426);
      assert.equal(res.headers.get("sec-websocket-version"), "13");
      await res.body?.cancel();
    }
  });
  assert.equal(server.handler.connectionCount, 0);
  await assertHealthy(server);
});

Deno.test("HTTP refuses oversized headers and garbage with 400", async (t) => {
  await using server = startServer();
  const cases: [string, string | Uint8Array][] = [
    [
      "a 1 MB header",
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(1_000_000)}\r\n\r\n`,
    ],
    [
      "a 64 KiB header on /ws",
      `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nX-Big: ${
        "a".repeat(65_536)
      }\r\n\r\n`,
    ],
    [
      "2,000 headers",
      `GET / HTTP/1.1\r\nHost: x\r\n${
        Array.from({ length: 2000 }, (_, i) => `X-H${i}: v`).join("\r\n")
      }\r\n\r\n`,
    ],
    [
      "a 100 KB path",
      `GET /${"a".repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    ],
    [
      "random bytes",
      crypto.getRandomValues(new Uint8Array(2048)).map((byte) =>
        byte === 0x47 ? 0 : byte
      ),
    ],
  ];
  for (const [name, request] of cases) {
    await t.step(name, async () => {
      assert.equal(await rawRequest(server.port, request), 400);
    });
  }
  await assertHealthy(server);
});

Deno.test("HTTP keeps serving slowloris clients' neighbours and closes them at the handshake timeout", async () => {
  const handshakeTimeout = 1000;
  await using server = startTcpServer({ handshakeTimeout });
  const request = encoder.encode(
    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n",
  );
  const conns = await Promise.all(
    Array.from(
      { length: 100 },
      () => Deno.connect({ hostname: "127.0.0.1", port: server.port }),
    ),
  );
  // Each dribbling connection holds a descriptor for as long as it lives;
  // the deadline is what bounds that.
  const ends = conns.map(async (conn) => {
    try {
      return await conn.read(new Uint8Array(1024));
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) return null;
      throw error;
    }
  });
  const started = performance.now();
  try {
    // A byte each per round, with a normal client served between rounds.
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        conns.map((conn) => conn.write(request.subarray(round, round + 1))),
      );
      const res = await fetch(`${server.origin}/healthz`);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    // Closed by the server, never answered.
    assert.deepEqual(
      new Set(await withTimeout(Promise.all(ends), "the slowloris to end")),
      new Set([null]),
    );
    assert(performance.now() - started >= handshakeTimeout - 20);
    await waitFor(
      () => server.server.connectionCount === 0,
      "every dribbling connection to be released",
    );
    await assertHealthy(server);
  } finally {
    for (const conn of conns) conn.close();
  }
});

Deno.test("HTTP answers bad paths with 404 or 400 and bad methods with 405", async (t) => {
  await using server = startServer();
  const paths: [string, number][] = [
    ["/../../etc/passwd", 404],
    ["/%2e%2e/%2e%2e/etc/passwd", 404],
    ["/static/../main.ts", 404],
    ["/..%2fmain.ts", 404],
    ["/index.html%00", 404],
    ["//etc/passwd", 404],
    ["/main.ts", 404],
    ["/.git/config", 404],
    ["/ws/extra", 404],
    [`/${"a".repeat(4000)}`, 404],
    ["/%ff%fe", 400],
    ["/%", 400],
  ];
  for (const [path, expected] of paths) {
    await t.step(`GET ${path.slice(0, 40)}: ${expected}`, async () => {
      const status = await rawRequest(
        server.port,
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(status, expected);
    });
  }
  const methods = [
    "POST",
    "PUT",
    "DELETE",
    "PATCH",
    "OPTIONS",
    "TRACE",
    "BREW",
  ];
  for (const path of ["/", "/healthz", "/metrics", "/ws"]) {
    await t.step(`${methods.join(",")} ${path}`, async () => {
      for (const method of methods) {
        const status = await rawRequest(
          server.port,
          `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        );
        assert.equal(status, 405, `${method} ${path}`);
      }
    });
  }
  await assertHealthy(server);
});

Deno.test("/ws cuts off a client that keeps requesting history it does not read", async () => {
  await using server = startServer({
    maxBufferedBytes: 65_536,
    rateLimit: 1000,
    rateBurst: 1000,
  });
  await fillHistory(server);
  const writer = await connectChat(server.wsUrl);
  try {
    // Each history request is answered with 100 messages (~400 KB); the
    // peer never reads them.
    const peer = await openStalledPeer(server.port, ["general"]);
    try {
      await peer.write(
        await frames('{"type":"history","room":"general","before":101}', 200),
      );
      await waitFor(
        () => server.handler.connectionCount === 1,
        "the peer to be cut off",
      );
      assert.equal(server.handler.metrics.slowConsumers.value(), 1);
      assert(
        server.handler.metrics.bytesSent.value({ protocol: "json" }) <
          16 * 1024 * 1024,
        "the server kept writing replies nobody read",
      );
    } finally {
      peer.close();
    }
  } finally {
    await writer[Symbol.asyncDispose]();
  }
  await assertHealthy(server);
});

Deno.test("/ws drops a frozen client whose socket closed on a missed pong with data unsent", async () => {
  // Buffers and queues large enough that the slow-consumer cut-off never
  // fires: only the ping timeout can end this peer.
  await using server = startServer({
    idleTimeout: 2,
    maxBufferedBytes: 64 * 1024 * 1024,
    maxQueueLength: 100_000,
    rateLimit: 2000,
    rateBurst: 2000,
  });
  const writer = await connectChat(server.wsUrl);
  // A plain-text peer, in the default room from the start.
  using peer = await RawPeer.open(server.port);
  try {
    // It takes the ping, never answers and stops reading; then ~5 MB for
    // it, more than the kernel's socket buffers hold. Deno gives up on the
    // pong with data still unsent, turns the socket to CLOSING, and cannot
    // fire `close` while the peer lives.
    assert.notEqual(await peer.nextFrame(Opcode.ping), null);
    for (let i = 1; i <= 1200; i++) {
      writer.sendJson({ type: "send", text: "f".repeat(4000), nonce: `${i}` });
    }
    await waitFor(
      () => server.handler.connectionCount === 1,
      "the frozen peer to be dropped",
    );
    assert.equal(server.handler.metrics.slowConsumers.value(), 0);
    assert.equal(server.handler.broker.subscriberCount(), 1);
    // Every send stored before the health check, which expects its own
    // message first.
    while ((await writer.nextOfType("ack")).nonce !== "1200");
  } finally {
    await writer[Symbol.asyncDispose]();
  }
  peer[Symbol.dispose]();
  await assertHealthy(server);
});
