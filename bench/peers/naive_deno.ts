/**
 * Peer: the naive Deno broadcast. A `Set` of sockets and a `send` loop, no
 * limits, no queues, no backpressure. In `chat.v1` it parses each request and
 * serialises the message once, like the other peers.
 *
 * @module
 */
const sockets = new Set<WebSocket>();
let lastId = 0;

Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("PORT") ?? "0"),
  onListen({ port }) {
    // deno-lint-ignore no-console
    console.log(`Listening on http://127.0.0.1:${port}/`);
  },
}, (req) => {
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("Upgrade required\n", { status: 426 });
  }
  const json = req.headers.get("sec-websocket-protocol")?.includes("chat.v1") ??
    false;
  const { socket, response } = Deno.upgradeWebSocket(
    req,
    json ? { protocol: "chat.v1" } : {},
  );
  socket.onopen = () => {
    sockets.add(socket);
    if (json) socket.send('{"type":"hello","protocol":"chat.v1"}');
  };
  socket.onclose = () => sockets.delete(socket);
  socket.onerror = () => sockets.delete(socket);
  socket.onmessage = (event) => {
    let text = String(event.data);
    if (json) {
      const request = JSON.parse(text);
      if (request?.type !== "send" || typeof request.text !== "string") return;
      text = request.text;
    }
    const frame = JSON.stringify({
      type: "message",
      id: ++lastId,
      room: "general",
      ts: Date.now(),
      user: "guest",
      text,
    });
    for (const peer of sockets) {
      peer.send(peer.protocol === "chat.v1" ? frame : text);
    }
  };
  return response;
});
