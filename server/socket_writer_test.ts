import assert from "node:assert/strict";
import { withTimeout } from "../testing/async.ts";
import { type Broadcast, broadcastOf } from "../chat/events.ts";
import { SocketWriter } from "./socket_writer.ts";

/** A server socket and the client at its other end, on a free loopback port. */
async function socketPair(): Promise<
  AsyncDisposable & {
    server: WebSocket;
    frames: string[];
    next(): Promise<void>;
  }
> {
  const accepted = Promise.withResolvers<WebSocket>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.onopen = () => accepted.resolve(socket);
      return response;
    },
  );
  const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
  const frames: string[] = [];
  let arrived = Promise.withResolvers<void>();
  client.onmessage = (event) => {
    frames.push(String(event.data));
    arrived.resolve();
    arrived = Promise.withResolvers<void>();
  };
  const socket = await withTimeout(accepted.promise, "the upgrade");
  const closed = new Promise((resolve) => client.onclose = resolve);
  return {
    server: socket,
    frames,
    next: () => withTimeout(arrived.promise, "a frame"),
    async [Symbol.asyncDispose]() {
      client.close();
      await closed;
      await server.shutdown();
    },
  };
}

/** Messages of about `size` bytes of JSON each, ids 1 to `count`. */
function messages(count: number, size: number): Broadcast[] {
  return Array.from({ length: count }, (_, i) =>
    broadcastOf({
      type: "message",
      id: i + 1,
      room: "general",
      ts: 0,
      user: "ada",
      text: "x".repeat(size - 80),
    }, "e"));
}

/** A `chat.v1` writer on `socket` whose frames stay within `maxFrameBytes`. */
function jsonWriter(socket: WebSocket, maxFrameBytes: number): SocketWriter {
  return new SocketWriter(socket, {
    mode: "json",
    maxBufferedBytes: 1 << 20,
    maxFrameBytes,
    onSlowConsumer: () => assert.fail("not a slow consumer"),
  });
}

Deno.test("SocketWriter sends a chat.v1 batch longer than its frame bound in several frames, each within it, in order", async () => {
  await using pair = await socketPair();
  const writer = jsonWriter(pair.server, 2500);
  writer.sendBatch(messages(5, 1000));
  while (pair.frames.length < 3) await pair.next();
  const ids = pair.frames.map((frame) => {
    assert(frame.length <= 2500, `a frame of ${frame.length} bytes`);
    const events = JSON.parse(frame);
    return (Array.isArray(events) ? events : [events]).map((e) => e.id);
  });
  assert.deepEqual(ids, [[1, 2], [3, 4], [5]]);
});

Deno.test("SocketWriter sends an event larger than its frame bound alone, and a batch within it as one frame", async () => {
  await using pair = await socketPair();
  const writer = jsonWriter(pair.server, 1500);
  const [small, large] = [messages(2, 500), messages(1, 3000)];
  writer.sendBatch([...small, ...large]);
  writer.sendBatch(small);
  while (pair.frames.length < 3) await pair.next();
  const [first, second, third] = pair.frames.map((frame) => JSON.parse(frame));
  assert.deepEqual(first.map((e: { id: number }) => e.id), [1, 2]);
  assert.equal(second.id, 1);
  assert.equal(second.text.length, 3000 - 80);
  assert.deepEqual(third.map((e: { id: number }) => e.id), [1, 2]);
});
