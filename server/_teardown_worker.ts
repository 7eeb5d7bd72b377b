/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * The worker behind `socket_teardown.ts`: opens the C library, then tears
 * down each batch of sockets it is sent, so that walking the descriptors
 * never holds up the server's event loop.
 *
 * @module
 */
import { SocketCalls } from "./_socket_calls.ts";
import type { TeardownRequest, WorkerReply } from "./socket_teardown.ts";

function reply(message: WorkerReply): void {
  self.postMessage(message);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let calls: SocketCalls | undefined;
try {
  calls = new SocketCalls();
  reply({ type: "ready" });
} catch (error) {
  reply({ type: "failed", message: messageOf(error) });
}

// Requests come from the main thread's SocketTeardown, in its shape.
self.onmessage = (event: MessageEvent<TeardownRequest>) => {
  const { id, targets } = event.data;
  if (!calls) return;
  const started = performance.now();
  try {
    const walk = calls.tearDown(targets);
    const ms = performance.now() - started;
    reply({ type: "report", id, report: { ...walk, ms } });
  } catch (error) {
    reply({ type: "error", id, message: messageOf(error) });
  }
};
