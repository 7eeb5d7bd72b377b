import assert from "node:assert/strict";
import { connect, connectJson } from "../testing/client.ts";
import { startServer } from "../testing/server.ts";
import { PROMETHEUS_CONTENT_TYPE } from "../observability/metrics.ts";
import { broadcastOf } from "../chat/events.ts";
import { DEFAULT_ROOM } from "./protocol.ts";

/** Parses a scrape into `name{labels}` → value, checking every line's shape. */
function parseScrape(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.trimEnd().split("\n")) {
    if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const match = line.match(/^([a-z_]+(?:\{[^}]*\})?) (\S+)$/);
    assert(match, `not a sample line: ${line}`);
    samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

async function scrape(origin: string): Promise<Map<string, number>> {
  const res = await fetch(`${origin}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), PROMETHEUS_CONTENT_TYPE);
  return parseScrape(await res.text());
}

Deno.test("GET /metrics counts connections, messages, bytes and errors", async () => {
  await using server = startServer({ rateLimit: 1, rateBurst: 1 });
  await using plain = await connect(server.wsUrl);
  const { client: json } = await connectJson(server.wsUrl);
  await using _ = json;

  plain.socket.send("hello");
  assert.equal(await plain.nextFrame(), "hello");
  assert.equal((await json.nextOfType("message")).text, "hello");
  json.socket.send("not json");
  assert.equal((await json.nextOfType("error")).code, "bad_json");
  json.sendJson({ type: "send", text: "a" });
  json.sendJson({ type: "send", text: "b" });
  assert.equal((await json.nextOfType("error")).code, "rate_limited");

  const samples = await scrape(server.origin);
  assert.equal(samples.get('chat_connections{protocol="plain"}'), 1);
  assert.equal(samples.get('chat_connections{protocol="json"}'), 1);
  assert.equal(
    samples.get('chat_connections_opened_total{protocol="json"}'),
    1,
  );
  assert.equal(samples.get("chat_subscribers"), 2);
  assert.equal(samples.get("chat_rooms"), 1);
  assert.equal(samples.get("chat_messages_received_total"), 2);
  assert.equal(samples.get('chat_frames_received_total{protocol="plain"}'), 1);
  assert.equal(samples.get('chat_bytes_received_total{protocol="plain"}'), 5);
  // join, "not json", and the two sends.
  assert.equal(samples.get('chat_frames_received_total{protocol="json"}'), 4);
  assert.equal(samples.get('chat_request_errors_total{code="bad_json"}'), 1);
  assert.equal(
    samples.get('chat_request_errors_total{code="rate_limited"}'),
    1,
  );
  assert.equal(samples.get("chat_rate_limited_total"), 1);
  assert.equal(samples.get("chat_publish_duration_seconds_count"), 2);
  assert.equal(
    samples.get('chat_publish_duration_seconds_bucket{le="+Inf"}'),
    2,
  );
  assert(samples.get("chat_messages_delivered_total")! >= 3);
  assert(samples.get('chat_bytes_sent_total{protocol="json"}')! > 0);
  assert(samples.get("process_resident_memory_bytes")! > 0);
  assert(samples.get("deno_heap_used_bytes")! > 0);
});

Deno.test("GET /metrics counts refused upgrades and server closes by code", async () => {
  await using server = startServer({ maxMessageBytes: 4 });
  const refused = await fetch(`${server.origin}/ws`, {
    headers: {
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
      "sec-websocket-protocol": "mqtt",
    },
  });
  assert.equal(refused.status, 400);
  await refused.body?.cancel();
  await using plain = await connect(server.wsUrl);
  plain.socket.send("too long");
  assert.equal((await plain.closed).code, 1009);
  await server.untilConnections(0);

  const samples = await scrape(server.origin);
  assert.equal(samples.get('chat_upgrades_refused_total{status="400"}'), 1);
  assert.equal(samples.get('chat_server_closes_total{code="1009"}'), 1);
  assert.equal(samples.get('chat_connections{protocol="plain"}'), 0);
});

Deno.test("POST /metrics answers 405 with Allow", async () => {
  await using server = startServer();
  const res = await fetch(`${server.origin}/metrics`, { method: "POST" });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "GET, HEAD");
  await res.body?.cancel();
});

Deno.test("GET /metrics counts a burst's frames and UTF-8 bytes as the clients receive them", async () => {
  await using server = startServer();
  const { client: json } = await connectJson(server.wsUrl);
  await using _ = json;
  await using plain = await connect(server.wsUrl);
  await json.nextOfType("presence");
  const before = await scrape(server.origin);
  const texts = ["héllo", "wörld", "!"];
  for (const [index, text] of texts.entries()) {
    await server.handler.broker.publish(
      DEFAULT_ROOM,
      broadcastOf({
        type: "message",
        id: index + 1,
        room: DEFAULT_ROOM,
        ts: 0,
        user: "ada",
        text,
      }),
    );
  }
  const frame = await json.nextFrame();
  const received = [];
  for (const _text of texts) received.push(await plain.nextFrame());
  assert.deepEqual(received, texts);
  const after = await scrape(server.origin);
  const delta = (name: string) => after.get(name)! - (before.get(name) ?? 0);
  const bytes = (text: string) => new TextEncoder().encode(text).length;
  assert.equal(delta('chat_frames_sent_total{protocol="json"}'), 1);
  assert.equal(delta('chat_bytes_sent_total{protocol="json"}'), bytes(frame));
  assert.equal(delta('chat_frames_sent_total{protocol="plain"}'), 3);
  assert.equal(
    delta('chat_bytes_sent_total{protocol="plain"}'),
    texts.reduce((sum, text) => sum + bytes(text), 0),
  );
  assert.equal(delta("chat_messages_delivered_total"), 6);
});
