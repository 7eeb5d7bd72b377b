import assert from "node:assert/strict";
import { ConfigError } from "./config.ts";
import { formatDefault, helpText } from "./help_text.ts";
import { loadConfig } from "./load_config.ts";
import { defaultConfig, SETTINGS } from "./settings.ts";

const noEnv = () => undefined;

Deno.test("loadConfig() returns the defaults with no flags or variables", () => {
  const result = loadConfig([], noEnv);
  assert(!result.help);
  assert.deepEqual(result.config, defaultConfig());
  assert.equal(result.config.port, 8000);
});

Deno.test("loadConfig() reads every setting from its variable and its flag", () => {
  const samples: Record<string, string> = {
    hostname: "127.0.0.1",
    maxBufferedBytes: "4096",
    maxFrameBytes: "4096",
    allowedOrigins: "https://a.example,https://b.example",
    logLevel: "debug",
    redisUrl: "redis://127.0.0.1:6379",
    broker: "kv",
    authSecret: "a shared secret of at least 32 bytes",
    authJwksUrl: "https://id.example/.well-known/jwks.json",
    authAlgorithms: "RS256,ES256",
    authRequireExpiry: "false",
    socketReaper: "true",
    authMaxTokenBytes: "4096",
    guests: "read-only",
    handshakeTimeout: "500",
    acceptLoop: "deno",
    typingInterval: "700",
    apiKey: "a server API key of at least 32 bytes",
    apiHostname: "0.0.0.0",
    apiMaxBodyBytes: "4096",
  };
  for (const setting of SETTINGS) {
    const raw = samples[setting.key] ?? "7";
    const fromEnv = loadConfig(
      [],
      (name) => name === setting.env ? raw : undefined,
    );
    const fromFlag = loadConfig([`--${setting.flag}`, raw], noEnv);
    assert(!fromEnv.help && !fromFlag.help);
    assert.deepEqual(fromEnv.config[setting.key], setting.parse(raw));
    assert.deepEqual(fromFlag.config[setting.key], setting.parse(raw));
  }
});

Deno.test("loadConfig() rejects bad values with a one-line ConfigError naming the setting", () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [
      ["--port", "http"],
      {},
      /--port "http": expected an integer from 0 to 65535/,
    ],
    [[], { PORT: "70000" }, /PORT "70000"/],
    [[], { CHAT_RATE_LIMIT: "0" }, /CHAT_RATE_LIMIT/],
    [[], { CHAT_ALLOWED_ORIGINS: "not a url" }, /CHAT_ALLOWED_ORIGINS/],
    [[], { CHAT_ALLOWED_ORIGINS: "https://a.example/path" }, /not an origin/],
    [
      [],
      { CHAT_LOG_LEVEL: "loud" },
      /expected one of debug, info, warn, error/,
    ],
    [["--bogus"], {}, /Cannot parse arguments/],
    [[], { CHAT_GUESTS: "maybe" }, /expected one of auto, on, read-only, off/],
    [[], { CHAT_AUTH_JWKS_URL: "ftp://x" }, /CHAT_AUTH_JWKS_URL/],
  ];
  for (const [args, env, pattern] of cases) {
    assert.throws(() => loadConfig(args, (name) => env[name]), (error) => {
      assert(error instanceof ConfigError);
      assert.match(error.message, pattern);
      assert(!error.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("loadConfig() answers --help and helpText() lists every setting", () => {
  assert.deepEqual(loadConfig(["--help"], noEnv), { help: true });
  const help = helpText();
  for (const setting of SETTINGS) {
    assert(help.includes(`--${setting.flag}`), setting.flag);
    assert(help.includes(setting.env), setting.env);
    assert(
      help.includes(`(default: ${formatDefault(setting.defaultValue)})`),
      `default of ${setting.flag}`,
    );
  }
});

Deno.test("loadConfig() defaults to the platform KV and the KV broker on Deno Deploy", () => {
  const env = new Map([["DENO_DEPLOYMENT_ID", "abc123"]]);
  const result = loadConfig([], (name) => env.get(name));
  assert(!result.help);
  assert.equal(result.config.kvPath, "");
  assert.equal(result.config.broker, "kv");
  const overridden = loadConfig(
    ["--kv-path", ":memory:"],
    (name) => env.get(name),
  );
  assert(!overridden.help);
  assert.equal(overridden.config.kvPath, ":memory:");
  const withRedis = loadConfig(
    ["--redis-url", "redis://127.0.0.1:6379"],
    (name) => env.get(name),
  );
  assert(!withRedis.help);
  assert.equal(withRedis.config.broker, "auto");
});

Deno.test("loadConfig() never repeats a secret in its errors", () => {
  const secret = "too-short-secret";
  const sources: [string[], Record<string, string>][] = [
    [[], { CHAT_AUTH_SECRET: secret }],
    [["--auth-secret", secret], {}],
  ];
  for (const [args, env] of sources) {
    assert.throws(
      () => loadConfig(args, (name) => env[name]),
      (error) =>
        error instanceof ConfigError && /\(hidden\)/.test(error.message) &&
        !error.message.includes(secret),
    );
  }
});
