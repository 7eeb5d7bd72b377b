/**
 * Reading the configuration at start-up: command-line flags over environment
 * variables over the defaults, each value validated by its setting.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type Config, ConfigError } from "./config.ts";
import { defaultConfig, SETTINGS } from "./settings.ts";

/**
 * Defaults that differ on Deno Deploy (detected by `DENO_DEPLOYMENT_ID`):
 * the platform's KV, nothing on the local disk. There `auto` fan-out means
 * `kv` unless a Redis URL is set.
 */
export const DEPLOY_DEFAULTS: Partial<Config> = { kvPath: "" };

/** What {@linkcode loadConfig} found: a configuration, or a request for help. */
export type LoadResult = { help: true } | { help: false; config: Config };

/**
 * Reads the settings from command-line arguments and environment variables,
 * flags winning, and validates each. On Deno Deploy (`DENO_DEPLOYMENT_ID`
 * set) the defaults are {@linkcode DEPLOY_DEFAULTS}.
 *
 * @param args Command-line arguments, e.g. `Deno.args`.
 * @param env Looks up an environment variable; returns `undefined` when unset.
 * @returns The validated configuration, or `{ help: true }` for `--help`.
 * @throws {ConfigError} For an unknown flag or a value that does not validate.
 *
 * @example Flags win over the environment
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "./load_config.ts";
 *
 * const env = new Map([["PORT", "9000"], ["CHAT_RATE_LIMIT", "3"]]);
 * const result = loadConfig(["--port", "9001"], (name) => env.get(name));
 * assert(!result.help);
 * assert.equal(result.config.port, 9001);
 * assert.equal(result.config.rateLimit, 3);
 * ```
 */
export function loadConfig(
  args: readonly string[],
  env: (name: string) => string | undefined,
): LoadResult {
  const options = Object.fromEntries([
    ["help", { type: "boolean" as const, short: "h" }],
    ...SETTINGS.map((setting) => [setting.flag, { type: "string" as const }]),
  ]);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true });
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError(`Cannot parse arguments: ${detail}`, { cause });
  }
  if (parsed.values.help) return { help: true };
  const config = defaultConfig() as unknown as Record<string, unknown>;
  const onDeploy = env("DENO_DEPLOYMENT_ID") !== undefined;
  if (onDeploy) Object.assign(config, DEPLOY_DEFAULTS);
  for (const setting of SETTINGS) {
    const flagValue = parsed.values[setting.flag];
    const source = typeof flagValue === "string"
      ? { raw: flagValue, name: `--${setting.flag}` }
      : { raw: env(setting.env), name: setting.env };
    if (source.raw === undefined) continue;
    try {
      config[setting.key] = setting.parse(source.raw);
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message : String(cause);
      const shown = setting.secret ? "(hidden)" : `"${source.raw}"`;
      throw new ConfigError(`Invalid ${source.name} ${shown}: ${detail}`, {
        cause,
      });
    }
  }
  if (onDeploy && config.broker === "auto" && config.redisUrl === "") {
    config.broker = "kv";
  }
  return { help: false, config: config as unknown as Config };
}
