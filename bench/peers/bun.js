// Peer: Bun's built-in WebSocket pub/sub. Every socket subscribes to a topic
// per protocol and `server.publish` fans out in native code. In chat.v1 each
// request is parsed and the message serialised once. Run with the binary
// from npm `bun` (bench/peers/node_modules_dir).
let lastId = 0;

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  fetch(req, server) {
    const json = (req.headers.get("sec-websocket-protocol") ?? "")
      .includes("chat.v1");
    const upgraded = server.upgrade(req, {
      headers: json ? { "Sec-WebSocket-Protocol": "chat.v1" } : {},
      data: { json },
    });
    return upgraded
      ? undefined
      : new Response("Upgrade required\n", { status: 426 });
  },
  websocket: {
    perMessageDeflate: false,
    open(socket) {
      socket.subscribe(socket.data.json ? "json" : "plain");
      if (socket.data.json) {
        socket.send('{"type":"hello","protocol":"chat.v1"}');
      }
    },
    message(socket, data) {
      let text = String(data);
      if (socket.data.json) {
        const request = JSON.parse(text);
        if (request?.type !== "send" || typeof request.text !== "string") {
          return;
        }
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
      server.publish("json", frame);
      server.publish("plain", text);
    },
  },
});
process.stdout.write(`Listening on http://127.0.0.1:${server.port}/\n`);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => process.exit(0));
}
