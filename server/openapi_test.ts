import assert from "node:assert/strict";
import {
  type ApiAnswer,
  callApi,
  TEST_API_KEY,
} from "../testing/api_client.ts";
import { sendAndAck, signedIn } from "../testing/client.ts";
import { schemaErrors } from "../testing/json_schema.ts";
import { startServer } from "../testing/server.ts";
import { TEST_SECRET } from "../testing/tokens.ts";
import { ROUTES } from "./api.ts";
import { openApiDocument } from "./openapi.ts";

type Operation = {
  operationId: string;
  responses: Record<
    string,
    { content?: { "application/json": { schema: Record<string, unknown> } } }
  >;
};

/** Every operation of the document, by `METHOD path`. */
function operations(): Map<string, Operation> {
  const found = new Map<string, Operation>();
  for (const [path, methods] of Object.entries(openApiDocument(ROUTES).paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      found.set(`${method.toUpperCase()} ${path}`, operation as Operation);
    }
  }
  return found;
}

Deno.test("openApiDocument() describes every route the API serves, and nothing else", () => {
  const documented = operations();
  assert.deepEqual(
    [...documented.keys()].sort(),
    ROUTES.map((route) => `${route.method} ${route.path}`).sort(),
  );
  const ids = [...documented.values()].map((operation) =>
    operation.operationId
  );
  assert.equal(new Set(ids).size, ids.length, "operationIds are unique");
  for (const route of ROUTES) {
    const { responses } = documented.get(`${route.method} ${route.path}`)!;
    if (!route.public) {
      assert.ok(responses[401], `${route.operationId} documents 401`);
    }
    for (const param of route.path.match(/\{\w+\}/g) ?? []) {
      assert.ok(
        route.params?.[param.slice(1, -1)],
        `${route.operationId} describes ${param}`,
      );
    }
  }
});

Deno.test("every documented operation, called as documented, answers a documented status with a body of its schema", async () => {
  await using server = startServer({
    apiKey: TEST_API_KEY,
    authSecret: TEST_SECRET,
  });
  // A room with no entry, so that listRooms answers a null lastActivity too.
  await using ada = (await signedIn(server.wsUrl, { sub: "ada" }, [
    "general",
    "quiet",
  ])).client;
  const { id } = await sendAndAck(ada, "general", "hello", "s1");
  const call = (method: string, path: string, body?: unknown) =>
    callApi(server.origin, method, path, { body });
  // One call per operation, in an order where each finds what it needs.
  const calls: [string, () => Promise<ApiAnswer>][] = [
    ["readOpenApiDocument", () => call("GET", "/api/openapi.json")],
    ["listRooms", () => call("GET", "/api/rooms")],
    ["readPresence", () => call("GET", "/api/rooms/general/presence")],
    ["readHistory", () => call("GET", "/api/rooms/general/messages?since=0")],
    [
      "publishMessage",
      () => call("POST", "/api/rooms/general/messages", { text: "notice" }),
    ],
    [
      "editMessage",
      () => call("PATCH", `/api/rooms/general/messages/${id}`, { text: "hi" }),
    ],
    [
      "deleteMessage",
      () => call("DELETE", `/api/rooms/general/messages/${id}`),
    ],
    [
      "banRoom",
      () => call("PUT", "/api/rooms/general/bans/bo", { duration: 60 }),
    ],
    ["listRoomBans", () => call("GET", "/api/rooms/general/bans")],
    ["unbanRoom", () => call("DELETE", "/api/rooms/general/bans/bo")],
    ["banServer", () => call("PUT", "/api/bans/cy", { reason: "spam" })],
    ["listServerBans", () => call("GET", "/api/bans")],
    ["unbanServer", () => call("DELETE", "/api/bans/cy")],
    [
      "kickUser",
      () => call("POST", "/api/rooms/general/kicks", { userId: "ada" }),
    ],
    ["disconnectUser", () => call("POST", "/api/users/ada/disconnect")],
    ["readModerationRecord", () => call("GET", "/api/moderation?limit=3")],
  ];
  const document = openApiDocument(ROUTES);
  const schemas = (document.components as {
    schemas: Record<string, Record<string, unknown>>;
  }).schemas;
  const byId = new Map(
    [...operations().values()].map((operation) => [
      operation.operationId,
      operation,
    ]),
  );
  assert.deepEqual(
    calls.map(([operationId]) => operationId).sort(),
    [...byId.keys()].sort(),
    "every documented operation is called",
  );
  for (const [operationId, run] of calls) {
    const answer = await run();
    const documented = byId.get(operationId)!.responses[String(answer.status)];
    assert.ok(
      documented,
      `${operationId} answered ${answer.status}, which it does not document: ${
        JSON.stringify(answer.body)
      }`,
    );
    assert.ok(
      answer.status < 400,
      `${operationId}: ${JSON.stringify(answer.body)}`,
    );
    const schema = documented.content?.["application/json"].schema;
    if (schema !== undefined) {
      assert.deepEqual(
        schemaErrors(answer.body, schema, schemas),
        [],
        operationId,
      );
    }
  }
});
