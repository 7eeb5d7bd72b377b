import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { waitFor, withTimeout } from "./testing/async.ts";
import { connect, connectJson, type TestClient } from "./testing/client.ts";
import { startServer } from "./testing/server.ts";
import {
  fetchOnce,
  spawnServer,
  taskPermissions,
} from "./testing/server_process.ts";
import { RawPeer } from "./testing/raw_peer.ts";
import { Opcode, openSilentPeer } from "./testing/wire.ts";
import { SETTINGS } from "./server/settings.ts";
import { createHandler } from "./main.ts";
import { type Broadcast, broadcastOf } from "./chat/events.ts";
import { DEFAULT_ROOM, type ServerEvent } from "./server/protocol.ts";

const MAIN_PATH = new URL("./main.ts", import.meta.url).pathname;

/** A chat message in the default room, as the broker carries it. */
function roomMessage(id: number, text: string, user = "load"): Broadcast {
  return broadcastOf({
    type: "message",
    id,
    room: DEFAULT_ROOM,
    ts: 0,
    user,
    text,
  });
}

Deno.test("/ws plain text echoes the tutorial's message to its sender", async () => {
  await using server = startServer();
  await using client = await connect(server.wsUrl);
  client.socket.send("message");
  assert.equal(await client.nextFrame(), "message");
});

Deno.test("/ws chat.v1 greets, then answers send with message and ack", async () => {
  await using server = startServer();
  const { client, hello } = await connectJson(`${server.wsUrl}?name=Ada`);
  await using _ = client;
  assert.equal(hello.protocol, "chat.v1");
  assert.equal(hello.user, "Ada");
  assert.equal(hello.defaultRoom, DEFAULT_ROOM);
  assert.equal(hello.limits.maxMessageBytes, 4096);
  assert.equal(typeof hello.connectionId, "string");
  assert.equal(client.socket.protocol, "chat.v1");

  client.sendJson({ type: "send", text: "hello", nonce: "n1" });
  const events: ServerEvent[] = [];
  while (
    !events.some((event) => event.type === "message") ||
    !events.some((event) => event.type === "ack")
  ) {
    events.push(await client.nextEvent());
  }
  const message = events.find((event) => event.type === "message");
  const ack = events.find((event) => event.type === "ack");
  assert(message?.type === "message" && ack?.type === "ack");
  assert.equal(message.text, "hello");
  assert.equal(message.user, "Ada");
  assert.equal(message.room, DEFAULT_ROOM);
  assert(Math.abs(message.ts - Date.now()) < 60_000);
  assert.equal(ack.nonce, "n1");
  assert.equal(ack.id, message.id);
});

Deno.test("/ws plain and chat.v1 clients see each other's messages", async () => {
  await using server = startServer();
  await using plain = await connect(server.wsUrl);
  const { client: json } = await connectJson(`${server.wsUrl}?name=Bo`);
  await using _ = json;

  plain.socket.send("from plain");
  const received = await json.nextOfType("message");
  assert.equal(received.text, "from plain");
  assert.match(received.user, /^guest-/);
  assert.equal(await plain.nextFrame(), "from plain");

  json.sendJson({ type: "send", text: "from json" });
  assert.equal(await plain.nextFrame(), "from json");
});

Deno.test("/ws chat.v1 sends a burst published in one turn as one array frame", async () => {
  await using server = startServer();
  const { client } = await connectJson(server.wsUrl);
  await using _ = client;
  await using plain = await connect(server.wsUrl);
  const message = (id: number) => roomMessage(id, `m${id}`, "ada");
  // Wait until the plain client's own arrival has gone out, so the JSON
  // client's next frame is the burst.
  assert.equal((await client.nextOfType("presence")).joined.length, 1);
  for (let id = 1; id <= 3; id++) {
    await server.handler.broker.publish(DEFAULT_ROOM, message(id));
  }
  const burst = JSON.parse(await client.nextFrame());
  assert(Array.isArray(burst));
  assert.deepEqual(burst.map((event) => event.id), [1, 2, 3]);
  for (const text of ["m1", "m2", "m3"]) {
    assert.equal(await plain.nextFrame(), text);
  }

  await server.handler.broker.publish(DEFAULT_ROOM, message(4));
  const lone = JSON.parse(await client.nextFrame());
  assert.equal(lone.id, 4);
  assert.equal(await plain.nextFrame(), "m4");
});

Deno.test("/ws broadcasts every message to 50 clients in order", async () => {
  await using server = startServer({ rateLimit: 1000, rateBurst: 1000 });
  const clients = await Promise.all(
    Array.from({ length: 50 }, () => connect(server.wsUrl)),
  );
  try {
    const sender = clients[0]!;
    const sent = Array.from({ length: 100 }, (_, i) => `message ${i}`);
    for (const text of sent) sender.socket.send(text);
    for (const client of clients) {
      const received = [];
      for (let i = 0; i < sent.length; i++) {
        received.push(await client.nextFrame());
      }
      assert.deepEqual(received, sent);
    }
  } finally {
    await Promise.all(clients.map((client) => client[Symbol.asyncDispose]()));
  }
});

Deno.test("/ws message ids increase in delivery order", async () => {
  await using server = startServer({ rateLimit: 1000, rateBurst: 1000 });
  const { client } = await connectJson(server.wsUrl);
  await using _ = client;
  for (let i = 0; i < 20; i++) client.sendJson({ type: "send", text: `m${i}` });
  let lastId = 0;
  for (let i = 0; i < 20; i++) {
    const message = await client.nextOfType("message");
    assert.equal(message.text, `m${i}`);
    assert(message.id > lastId);
    lastId = message.id;
  }
});

Deno.test("/ws disconnect removes the subscriber", async () => {
  await using server = startServer();
  const clients = await Promise.all(
    Array.from({ length: 5 }, () => connect(server.wsUrl)),
  );
  assert.equal(server.handler.broker.subscriberCount(), 5);
  assert.equal(server.handler.connectionCount, 5);
  await Promise.all(clients.map((client) => client[Symbol.asyncDispose]()));
  await server.untilConnections(0);
  assert.equal(server.handler.broker.subscriberCount(), 0);
});

Deno.test("/ws cuts off a slow consumer while others keep receiving", async () => {
  await using server = startServer({
    maxQueueLength: 8,
    maxBufferedBytes: 64 * 1024,
  });
  await using reader = await connect(server.wsUrl);
  const silent = await openSilentPeer(server.port);
  try {
    // A plain connection joins at its upgrade, before the 101 answer.
    assert.equal(server.handler.broker.subscriberCount(), 2);
    const big = "x".repeat(64 * 1024);
    for (let i = 0; i < 1000 && server.handler.connectionCount === 2; i++) {
      await server.handler.broker.publish(
        DEFAULT_ROOM,
        roomMessage(i + 1, `${i} ${big}`),
      );
      // The reader keeps up; the silent peer's kernel buffers, then its send
      // buffer, then its queue fill until it is cut off.
      assert((await reader.nextFrame()).startsWith(`${i} `));
    }
    await server.untilConnections(1);
    assert.equal(server.handler.broker.subscriberCount(), 1);
    await server.handler.broker.publish(
      DEFAULT_ROOM,
      roomMessage(0, "after"),
    );
    assert.equal(await reader.nextFrame(), "after");
  } finally {
    silent.close();
  }
});

Deno.test("/ws pauses a reader whose send buffer passed its bound, then sends it every message in order as it reads", async () => {
  await using server = startServer({
    maxQueueLength: 100_000,
    maxBufferedBytes: 64 * 1024,
  });
  // A plain-text peer joins the default room at its upgrade, then does not
  // read while ~20 MB are published for it, one message per turn: more
  // than the kernel buffers of a peer that does not read hold.
  using peer = await RawPeer.open(server.port);
  const count = 1280;
  const big = "x".repeat(16 * 1024);
  for (let i = 0; i < count; i++) {
    await server.handler.broker.publish(
      DEFAULT_ROOM,
      roomMessage(i + 1, `${i} ${big}`),
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
  const delivered = () => server.handler.metrics.messagesDelivered.value();
  assert(delivered() < count, "every message was written while unread");
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    const frame = await peer.nextFrame(Opcode.text);
    assert(frame, `the connection ended before message ${i}`);
    assert(decoder.decode(frame.payload).startsWith(`${i} `));
  }
  assert.equal(delivered(), count);
});

Deno.test("/ws drops a peer that stops answering pings after the idle timeout", async () => {
  await using server = startServer({ idleTimeout: 1 });
  const silent = await openSilentPeer(server.port);
  try {
    assert.equal(server.handler.connectionCount, 1);
    await server.untilConnections(0);
    assert.equal(server.handler.broker.subscriberCount(), 0);
  } finally {
    silent.close();
  }
});

Deno.test("/ws answers an oversized send with message_too_large and stays open", async () => {
  await using server = startServer({ maxMessageBytes: 16 });
  const { client } = await connectJson(server.wsUrl);
  await using _ = client;
  client.sendJson({ type: "send", text: "x".repeat(17), nonce: "big" });
  const error = await client.nextOfType("error");
  assert.equal(error.code, "message_too_large");
  assert.equal(error.nonce, "big");
  client.sendJson({ type: "send", text: "é".repeat(8) });
  assert.equal((await client.nextOfType("message")).text, "é".repeat(8));
});

Deno.test("/ws closes with 1009 on an oversized plain message or frame", async () => {
  await using server = startServer({ maxMessageBytes: 16 });
  await using plain = await connect(server.wsUrl);
  plain.socket.send("é".repeat(9));
  assert.equal((await withTimeout(plain.closed, "close")).code, 1009);

  await using json = await connect(server.wsUrl, { json: true });
  json.socket.send(" ".repeat(16 * 6 + 1025));
  assert.equal((await withTimeout(json.closed, "close")).code, 1009);
  await using healthy = await connect(server.wsUrl);
  healthy.socket.send("still fine");
  assert.equal(await healthy.nextFrame(), "still fine");
});

Deno.test("/ws closes with 1003 on a binary frame", async () => {
  await using server = startServer();
  await using client = await connect(server.wsUrl);
  client.socket.send(new Uint8Array([1, 2, 3]));
  const event = await withTimeout(client.closed, "close");
  assert.equal(event.code, 1003);
});

Deno.test("/ws rate-limits with rate_limited, then closes persistent abuse with 1008", async () => {
  await using server = startServer({
    rateLimit: 1,
    rateBurst: 2,
    rateLimitStrikes: 3,
  });
  const { client } = await connectJson(server.wsUrl);
  await using _ = client;
  for (let i = 0; i < 3; i++) {
    client.sendJson({ type: "send", text: `m${i}`, nonce: `n${i}` });
  }
  const error = await client.nextOfType("error");
  assert.equal(error.code, "rate_limited");
  assert.equal(error.nonce, "n2");
  // Exactly up to the third strike: frames still unread when the server
  // closes make its TCP stack reset the connection, hiding the close code.
  for (let i = 3; i < 5; i++) client.sendJson({ type: "send", text: `m${i}` });
  const event = await withTimeout(client.closed, "close");
  assert.equal(event.code, 1008);
});

Deno.test("/ws answers bad requests with error frames and stable codes", async (t) => {
  await using server = startServer();
  const { client } = await connectJson(server.wsUrl);
  await using _ = client;
  const cases: [string, string][] = [
    ["not json", "bad_json"],
    ["[1,2]", "bad_request"],
    ['{"type":"shout"}', "bad_request"],
    ['{"type":"send","text":42}', "bad_request"],
    ['{"type":"send","text":"   "}', "bad_request"],
    ['{"type":"send","text":"a\\u0000b"}', "bad_request"],
    ['{"type":"send","text":"hi","nonce":""}', "bad_request"],
    ['{"type":"set_name","name":""}', "invalid_name"],
    ['{"type":"set_name","name":"a\\u202eb"}', "invalid_name"],
    [`{"type":"set_name","name":"${"n".repeat(33)}"}`, "invalid_name"],
  ];
  for (const [frame, code] of cases) {
    await t.step(frame.slice(0, 40), async () => {
      client.socket.send(frame);
      const error = await client.nextOfType("error");
      assert.equal(error.code, code);
      assert.equal(typeof error.message, "string");
    });
  }
  client.sendJson({ type: "ping", nonce: "p" });
  assert.deepEqual(await client.nextOfType("pong"), {
    type: "pong",
    nonce: "p",
  });
});

Deno.test("/ws set_name renames the sender of later messages", async () => {
  await using server = startServer();
  const { client } = await connectJson(server.wsUrl);
  await using _ = client;
  client.sendJson({ type: "set_name", name: "  Grace  " });
  assert.deepEqual(await client.nextOfType("renamed"), {
    type: "renamed",
    user: "Grace",
  });
  client.sendJson({ type: "send", text: "hi" });
  assert.equal((await client.nextOfType("message")).user, "Grace");
});

Deno.test("/ws refuses upgrades past maxConnections with 503", async () => {
  await using server = startServer({ maxConnections: 2 });
  await using _a = await connect(server.wsUrl);
  await using _b = await connect(server.wsUrl);
  const res = await fetch(server.wsUrl.replace("ws:", "http:"), {
    headers: {
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
    },
  });
  assert.equal(res.status, 503);
  assert.match(await res.text(), /too many connections/);
});

Deno.test("/ws refuses a foreign Origin with 403 unless it is allowed", async () => {
  const headers = {
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
    origin: "https://evil.example",
  };
  await using server = startServer();
  const refused = await fetch(`${server.origin}/ws`, { headers });
  assert.equal(refused.status, 403);
  assert.match(await refused.text(), /evil\.example/);

  const sameOrigin = await fetch(`${server.origin}/ws`, {
    headers: { ...headers, origin: server.origin },
  });
  assert.equal(sameOrigin.status, 101);
  await sameOrigin.body?.cancel();

  await using open = startServer({ allowedOrigins: ["https://evil.example"] });
  const allowed = await fetch(`${open.origin}/ws`, { headers });
  assert.equal(allowed.status, 101);
  await allowed.body?.cancel();
});

Deno.test("/ws answers a plain GET with 426 and a clear body", async () => {
  await using handler = createHandler();
  const res = await handler(new Request("http://localhost/ws"));
  assert.equal(res.status, 426);
  assert.equal(res.headers.get("upgrade"), "websocket");
  assert.match(await res.text(), /WebSocket/);
});

Deno.test("/ws refuses an unknown subprotocol and an invalid name with 400", async () => {
  await using handler = createHandler();
  const upgrade = {
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
  };
  const protocol = await handler(
    new Request("http://localhost/ws", {
      headers: { ...upgrade, "sec-websocket-protocol": "mqtt" },
    }),
  );
  assert.equal(protocol.status, 400);
  assert.match(await protocol.text(), /chat\.v1/);
  const name = await handler(
    new Request("http://localhost/ws?name=%00", { headers: upgrade }),
  );
  assert.equal(name.status, 400);
  assert.match(await name.text(), /name/);
});

Deno.test("/healthz reports status and connections as JSON", async () => {
  await using server = startServer();
  await using _ = await connect(server.wsUrl);
  const res = await fetch(`${server.origin}/healthz`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, "ok");
  assert.equal(body.connections, 1);
});

Deno.test("createHandler().shutdown() closes every socket with 1001", async () => {
  await using server = startServer();
  const clients: TestClient[] = await Promise.all([
    connect(server.wsUrl),
    connect(server.wsUrl, { json: true }),
  ]);
  await server.handler.shutdown();
  for (const client of clients) {
    assert.equal((await withTimeout(client.closed, "close")).code, 1001);
  }
  const res = await fetch(`${server.origin}/healthz`);
  assert.equal(res.status, 503);
  await res.body?.cancel();
});

Deno.test("createHandler().shutdown() waits until the peers have answered the close", async () => {
  await using server = startServer();
  using peer = await RawPeer.open(server.port);
  let finished = false;
  const shutdown = server.handler.shutdown().then(() => finished = true);
  assert.equal(await peer.closeCode(), 1001);
  // The close frame is out; the peer has not answered it yet.
  assert.equal(finished, false);
  await peer.send(Opcode.close, new Uint8Array([0x03, 0xe9]));
  await withTimeout(shutdown, "the shutdown");
});

Deno.test("main.ts closes sockets with 1001 and exits 0 on SIGTERM", async () => {
  await using child = await spawnServer();
  const wsUrl = `${child.url.replace("http", "ws")}ws`;
  const clients = await Promise.all([
    connect(wsUrl),
    connect(wsUrl, { json: true }),
  ]);
  child.process.kill("SIGTERM");
  for (const client of clients) {
    assert.equal((await withTimeout(client.closed, "close")).code, 1001);
  }
  const status = await withTimeout(child.process.status, "exit");
  assert.equal(status.code, 0, child.stderr());
});

Deno.test("main.ts exits 0 on SIGINT with no clients", async () => {
  await using child = await spawnServer();
  child.process.kill("SIGINT");
  const status = await withTimeout(child.process.status, "exit");
  assert.equal(status.code, 0, child.stderr());
});

Deno.test("main.ts exits 2 with a one-line error for bad settings", async (t) => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [
      ["--port", "abc"],
      {},
      /^error: Invalid --port "abc": expected an integer/,
    ],
    [
      [],
      { CHAT_MAX_CONNECTIONS: "-1" },
      /^error: Invalid CHAT_MAX_CONNECTIONS "-1"/,
    ],
    [["--frobnicate"], {}, /^error: Cannot parse arguments/],
    [
      ["--kv-path", ":memory:"],
      { CHAT_AUTH_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----\nnot a key" },
      /^error: Cannot verify tokens: the public key is not a PEM/m,
    ],
    [
      ["--kv-path", ":memory:", "--auth-algorithms", "RS256"],
      { CHAT_AUTH_SECRET: "a shared secret long enough for HS256 tokens" },
      /^error: Cannot verify tokens: algorithm "RS256" does not suit the key/m,
    ],
    [
      ["--kv-path", ":memory:"],
      {
        CHAT_AUTH_SECRET: "a shared secret long enough for HS256 tokens",
        CHAT_AUTH_JWKS_URL: "https://id.example/jwks.json",
      },
      /^error: Cannot verify tokens: set exactly one/m,
    ],
    [
      ["--kv-path", ":memory:", "--socket-reaper", "true"],
      {},
      /^error: Cannot turn CHAT_SOCKET_REAPER on: --allow-ffi is not granted; run deno task start:reaper, or grant it to deno run$/m,
    ],
  ];
  for (const [args, env, pattern] of cases) {
    await t.step(args.join(" ") || Object.keys(env).join(" "), async () => {
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net",
          "--allow-read",
          "--allow-env",
          MAIN_PATH,
          ...args,
        ],
        env,
        stdin: "null",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 2, stderr);
      assert.match(stderr, pattern);
      assert(!stderr.includes("    at "), "printed a stack trace");
    });
  }
});

Deno.test("main.ts --help lists every setting and exits 0", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-env",
      MAIN_PATH,
      "--help",
    ],
    stdin: "null",
  }).output();
  assert.equal(output.code, 0);
  const help = new TextDecoder().decode(output.stdout);
  for (const setting of SETTINGS) assert(help.includes(`--${setting.flag}`));
});

Deno.test("main.ts under deno task start's permissions refuses a CHAT_KV_PATH outside data/ with what to do", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...await taskPermissions("start"),
        "main.ts",
        "--port",
        "0",
      ],
      cwd: new URL(".", import.meta.url).pathname,
      env: { CHAT_KV_PATH: `${dir}/chat.db` },
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 2, stderr);
    assert.match(
      stderr,
      /^error: Cannot open CHAT_KV_PATH ".*chat\.db": deno task start may write only in data\/; put the file there, or run main\.ts with --allow-read and --allow-write for its folder\n$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main.ts caps connections per address and reports them as chat_tcp_connections", async () => {
  await using child = await spawnServer([
    "--max-connections-per-address",
    "3",
  ]);
  const port = Number(new URL(child.url).port);
  const held = await Promise.all(
    [1, 2].map(() => Deno.connect({ hostname: "127.0.0.1", port })),
  );
  try {
    const metrics = await fetchOnce(port, "/metrics");
    assert.match(metrics, /^chat_tcp_connections 3$/m, child.stderr());
    held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    assert.match(await fetchOnce(port, "/healthz"), /^HTTP\/1.1 503 /);
  } finally {
    for (const conn of held) conn.close();
  }
});

Deno.test("main.ts serves again once descriptors free up after running out", async (t) => {
  for (const acceptLoop of ["own", "deno"]) {
    await t.step(`--accept-loop ${acceptLoop}`, async () => {
      await using child = await spawnServer([
        "--accept-loop",
        acceptLoop,
        "--max-connections-per-address",
        "0",
        "--handshake-timeout",
        "60000",
      ]);
      const port = Number(new URL(child.url).port);
      // Deno raises its soft limit to the hard one at start; lower both.
      const limited = await new Deno.Command("prlimit", {
        args: [`--pid=${child.process.pid}`, "--nofile=128:128"],
      }).output().catch((error) => {
        throw new Error("Cannot run prlimit (util-linux): install it", {
          cause: error,
        });
      });
      assert(limited.success, new TextDecoder().decode(limited.stderr));
      const flood: Deno.TcpConn[] = [];
      const count = (event: string) =>
        child.stderr().match(new RegExp(`"${event}"`, "g"))?.length ?? 0;
      try {
        // Connections until the server cannot accept: Deno.serve's loop
        // closes its listener then, so later ones are refused or reset.
        for (let round = 0; count("server.accept_failed") === 0; round++) {
          assert(
            round < 100,
            `no server.accept_failed:\n${child.stderr()}`,
          );
          const batch = await Promise.allSettled(
            Array.from(
              { length: 32 },
              () => Deno.connect({ hostname: "127.0.0.1", port }),
            ),
          );
          for (const result of batch) {
            if (result.status === "fulfilled") flood.push(result.value);
          }
        }
      } finally {
        for (const conn of flood) conn.close();
      }
      // One line when accepting fails, one when it resumes, however many
      // accepts failed in between.
      await waitFor(
        () => count("server.accept_resumed") === count("server.accept_failed"),
        `serving again:\n${child.stderr()}`,
      );
      assert(count("server.accept_failed") < 5, child.stderr());
      const health = await fetch(`${child.url}healthz`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
      await using client = await connect(
        `${child.url.replace("http", "ws")}ws`,
      );
      client.socket.send("after the flood");
      assert.equal(await client.nextFrame(), "after the flood");
    });
  }
});
