import assert from "node:assert/strict";
import {
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWTPayload,
  SignJWT,
  UnsecuredJWT,
} from "jose";
import { TokenError, TokenVerifier } from "./tokens.ts";
import { serveJwks } from "../testing/jwks.ts";

const SECRET = "a shared secret that is long enough for HS256";
const SECRET_KEY = new TextEncoder().encode(SECRET);
const NOW = Date.UTC(2026, 0, 1) / 1000;

function sign(
  claims: JWTPayload,
  key: CryptoKey | Uint8Array = SECRET_KEY,
  header: { alg: string; kid?: string } = { alg: "HS256" },
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

async function refusal(
  verifier: TokenVerifier,
  token: string,
): Promise<TokenError> {
  const error = await verifier.verify(token).then(
    () => assert.fail("the token was accepted"),
    (error) => error,
  );
  assert(error instanceof TokenError, String(error));
  assert(!error.message.includes(token), "the message repeats the token");
  return error;
}

const valid = { sub: "user-1", exp: NOW + 60 };

Deno.test("TokenVerifier.verify() reads the user from an HS256 token", async () => {
  const verifier = await TokenVerifier.create({
    secret: SECRET,
    now: () => NOW * 1000,
  });
  const token = await sign({
    ...valid,
    name: "Ada",
    role: "moderator",
    rooms: ["private-team", "private-eng-*"],
  });
  assert.deepEqual(await verifier.verify(token), {
    userId: "user-1",
    name: "Ada",
    role: "moderator",
    rooms: ["private-team", "private-eng-*"],
    expiresAt: (NOW + 60) * 1000,
  });
});

Deno.test("TokenVerifier.verify() checks time claims with the clock-skew allowance", async (t) => {
  const verifier = await TokenVerifier.create({
    secret: SECRET,
    clockSkewSeconds: 30,
    now: () => NOW * 1000,
  });
  const cases: [string, JWTPayload, string | null][] = [
    ["expired beyond the skew", { sub: "u", exp: NOW - 31 }, "token_expired"],
    ["expired within the skew", { sub: "u", exp: NOW - 29 }, null],
    ["not yet valid", { ...valid, nbf: NOW + 31 }, "invalid_token"],
    ["valid within the skew", { ...valid, nbf: NOW + 29 }, null],
    ["issued in the future", { ...valid, iat: NOW + 31 }, "invalid_token"],
    ["without exp", { sub: "u" }, "invalid_token"],
  ];
  for (const [name, claims, code] of cases) {
    await t.step(name, async () => {
      const token = await sign(claims);
      if (code === null) await verifier.verify(token);
      else assert.equal((await refusal(verifier, token)).code, code);
    });
  }
});

Deno.test("TokenVerifier.verify() accepts tokens without exp only when told to", async () => {
  const verifier = await TokenVerifier.create({
    secret: SECRET,
    requireExpiry: false,
  });
  const verified = await verifier.verify(await sign({ sub: "u" }));
  assert.equal(verified.expiresAt, undefined);
});

Deno.test("TokenVerifier.verify() refuses a wrong issuer or audience", async () => {
  const verifier = await TokenVerifier.create({
    secret: SECRET,
    issuer: "https://app.example",
    audience: "chat",
    now: () => NOW * 1000,
  });
  const right = { ...valid, iss: "https://app.example", aud: "chat" };
  await verifier.verify(await sign(right));
  for (
    const claims of [{ ...right, iss: "https://evil.example" }, {
      ...right,
      aud: "other",
    }]
  ) {
    const error = await refusal(verifier, await sign(claims));
    assert.equal(error.code, "invalid_token");
    assert.match(error.message, /"(iss|aud)"/);
  }
});

Deno.test("TokenVerifier.verify() refuses tampered, unsigned, oversized and malformed tokens", async (t) => {
  const verifier = await TokenVerifier.create({
    secret: SECRET,
    maxTokenBytes: 1024,
    now: () => NOW * 1000,
  });
  const token = await sign(valid);
  const [header, , signature] = token.split(".");
  const forged = `${header}.${
    btoa(JSON.stringify({ ...valid, sub: "admin" })).replace(/=+$/, "")
  }.${signature}`;
  const cases: [string, string][] = [
    ["tampered payload", forged],
    [
      "another secret",
      await sign(valid, new TextEncoder().encode("x".repeat(40))),
    ],
    ["alg none", new UnsecuredJWT(valid).encode()],
    ["oversized", await sign({ ...valid, pad: "x".repeat(2000) })],
    ["malformed", "not.a.token"],
    ["bad role", await sign({ ...valid, role: "owner" })],
    ["bad rooms", await sign({ ...valid, rooms: "private-team" })],
    ["empty sub", await sign({ ...valid, sub: "" })],
  ];
  for (const [name, bad] of cases) {
    await t.step(name, async () => {
      assert.equal((await refusal(verifier, bad)).code, "invalid_token");
    });
  }
});

Deno.test("TokenVerifier verifies RS256 and ES256 tokens with a PEM key and refuses algorithm confusion", async () => {
  for (const alg of ["RS256", "ES256"]) {
    const { publicKey, privateKey } = await generateKeyPair(alg, {
      extractable: true,
    });
    const pem = await exportSPKI(publicKey);
    const verifier = await TokenVerifier.create({
      publicKey: pem,
      now: () => NOW * 1000,
    });
    const verified = await verifier.verify(
      await sign(valid, privateKey, { alg }),
    );
    assert.equal(verified.userId, "user-1");
    // An HS256 token "signed" with the public key's text as the secret.
    const confused = await sign(valid, new TextEncoder().encode(pem));
    const error = await refusal(verifier, confused);
    assert.match(error.message, /algorithm is not allowed/);
  }
});

Deno.test("TokenVerifier.create() refuses settings that cannot verify safely", async () => {
  const { publicKey } = await generateKeyPair("ES256", { extractable: true });
  const pem = await exportSPKI(publicKey);
  await assert.rejects(
    TokenVerifier.create({ secret: "short" }),
    RangeError,
  );
  await assert.rejects(
    TokenVerifier.create({ publicKey: pem, algorithms: ["HS256"] }),
    /does not suit the key/,
  );
  await assert.rejects(
    TokenVerifier.create({ secret: SECRET, publicKey: pem }),
    /exactly one/,
  );
  await assert.rejects(
    TokenVerifier.create({ publicKey: "-----BEGIN PUBLIC KEY-----" }),
    TypeError,
  );
});

Deno.test("TokenVerifier follows a JWKS through a key rotation", async () => {
  const first = await generateKeyPair("RS256", { extractable: true });
  const second = await generateKeyPair("ES256", { extractable: true });
  await using jwks = serveJwks([
    { ...await exportJWK(first.publicKey), kid: "k1", alg: "RS256" },
  ]);
  const verifier = await TokenVerifier.create({
    jwksUrl: jwks.url,
    jwksCooldownMs: 0,
    now: () => NOW * 1000,
  });
  const byFirst = await sign(valid, first.privateKey, {
    alg: "RS256",
    kid: "k1",
  });
  assert.equal((await verifier.verify(byFirst)).userId, "user-1");
  const bySecond = await sign(valid, second.privateKey, {
    alg: "ES256",
    kid: "k2",
  });
  assert.match((await refusal(verifier, bySecond)).message, /no signing key/);
  jwks.setKeys([
    { ...await exportJWK(second.publicKey), kid: "k2", alg: "ES256" },
  ]);
  assert.equal((await verifier.verify(bySecond)).userId, "user-1");
  assert.equal(jwks.fetches, 3);
});

Deno.test("TokenVerifier refetches a JWKS for an unknown kid at most once per cooldown", async () => {
  const { publicKey, privateKey } = await generateKeyPair("ES256", {
    extractable: true,
  });
  await using jwks = serveJwks([
    { ...await exportJWK(publicKey), kid: "k1", alg: "ES256" },
  ]);
  const verifier = await TokenVerifier.create({
    jwksUrl: jwks.url,
    jwksCooldownMs: 60_000,
    now: () => NOW * 1000,
  });
  await verifier.verify(
    await sign(valid, privateKey, { alg: "ES256", kid: "k1" }),
  );
  for (let i = 0; i < 5; i++) {
    const unknown = await sign(valid, privateKey, {
      alg: "ES256",
      kid: `unknown-${i}`,
    });
    assert.equal((await refusal(verifier, unknown)).code, "invalid_token");
  }
  assert.equal(jwks.fetches, 1);
});

Deno.test("TokenVerifier reports an unreachable JWKS as unavailable", async () => {
  const { privateKey } = await generateKeyPair("ES256");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const verifier = await TokenVerifier.create({
    jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
  });
  const token = await sign(
    { sub: "u", exp: Date.now() / 1000 + 60 },
    privateKey,
    {
      alg: "ES256",
      kid: "k1",
    },
  );
  assert.equal((await refusal(verifier, token)).code, "unavailable");
});
