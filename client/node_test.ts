import assert from "node:assert/strict";
import { ChatClient } from "./client.ts";
import { loadClientModule } from "../server/client_module.ts";
import { withTimeout } from "../testing/async.ts";
import { startServer } from "../testing/server.ts";

/** Joins, sends, waits for its own message to come back, and prints both. */
const SCRIPT = `
import { ChatClient } from "./client/mod.js";

const client = new ChatClient(process.argv[2], { name: "Node" });
const room = client.join("general");
const echoed = new Promise((resolve) =>
  room.on("message", (message) => resolve(message))
);
const ack = await room.send("hello from Node");
const message = await echoed;
await client.close();
console.log(JSON.stringify({ ack, message, user: client.user }));
`;

Deno.test("ChatClient runs under Node, as the server serves it, and chats through a real server", async () => {
  await using server = startServer();
  const dir = await Deno.makeTempDir({ prefix: "chat_node_client_" });
  try {
    // The same type-stripped modules browsers get from /client/.
    for (const [path, file] of await loadClientModule()) {
      await Deno.mkdir(`${dir}/client`, { recursive: true });
      await Deno.writeFile(`${dir}${path}`, file.body);
    }
    await Deno.writeTextFile(`${dir}/package.json`, '{ "type": "module" }');
    await Deno.writeTextFile(`${dir}/chat.js`, SCRIPT);
    await using observer = new ChatClient(server.wsUrl, { name: "Deno" });
    const room = observer.join("general");
    const seen = Promise.withResolvers<string>();
    room.on("message", (message) => seen.resolve(message.text));
    await room.ready;

    // Node 20 has the WebSocket global behind this flag; later ones by default.
    const output = await new Deno.Command("node", {
      args: ["--experimental-websocket", "chat.js", server.wsUrl],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    const result = JSON.parse(new TextDecoder().decode(output.stdout));
    assert.equal(result.user, "Node");
    assert.equal(result.ack.duplicate, false);
    assert.equal(result.message.id, result.ack.id);
    assert.equal(result.message.text, "hello from Node");
    assert.equal(
      await withTimeout(seen.promise, "the message from Node"),
      "hello from Node",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
