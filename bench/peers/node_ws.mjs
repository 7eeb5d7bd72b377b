// Peer: Node.js with npm `ws`, the usual Node WebSocket server. A broadcast
// loop over `wss.clients`; in chat.v1 each request is parsed and the message
// serialised once. `ws` comes from NODE_PATH (bench/peers/node_modules_dir).
import { createRequire } from "node:module";

const { WebSocketServer } = createRequire(import.meta.url)("ws");
let lastId = 0;

const wss = new WebSocketServer({
  host: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  perMessageDeflate: false,
  handleProtocols: (protocols) => protocols.has("chat.v1") ? "chat.v1" : false,
});
wss.on("listening", () => {
  process.stdout.write(
    `Listening on http://127.0.0.1:${wss.address().port}/\n`,
  );
});
wss.on("connection", (socket) => {
  const json = socket.protocol === "chat.v1";
  if (json) socket.send('{"type":"hello","protocol":"chat.v1"}');
  socket.on("message", (data) => {
    let text = data.toString();
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
    for (const peer of wss.clients) {
      if (peer.readyState === 1) {
        peer.send(peer.protocol === "chat.v1" ? frame : text);
      }
    }
  });
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => process.exit(0));
}
