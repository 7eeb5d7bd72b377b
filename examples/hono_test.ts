import { createApp } from "./hono.ts";
import { checkHostApp } from "../testing/host_app.ts";

Deno.test("createApp() in examples/hono.ts serves the host's pages and sign-in, and the chat at /chat", async () => {
  await using app = createApp();
  await checkHostApp(app.app.fetch);
});
