/**
 * Prints a signed token for local testing, signed with the configured
 * shared secret (`CHAT_AUTH_SECRET`) and carrying the configured issuer and
 * audience: `deno task token --sub ada --name Ada --rooms private-team`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { ROLES } from "../auth/tokens.ts";
import { print } from "../observability/log.ts";
import { ConfigError } from "../server/config.ts";
import { loadConfig } from "../server/load_config.ts";

/** Default for {@linkcode TokenRequest.ttlSeconds}. */
export const DEFAULT_TTL_SECONDS = 3600;

/** The claims of a token to sign. */
export interface TokenRequest {
  /** The user's id (`sub`). */
  sub: string;
  /** Display name (`name`). */
  name?: string;
  /** Private rooms (`rooms`): names, or prefixes ending in `*`. */
  rooms?: string[];
  /** `member`, `moderator` or `admin`. */
  role?: string;
  /**
   * Seconds until `exp`.
   *
   * @default {3600}
   */
  ttlSeconds?: number;
}

/** Where the token is signed: the shared secret, and the issuer and audience to claim. */
export interface SigningSettings {
  secret: string;
  issuer?: string;
  audience?: string;
}

/**
 * Signs a token with HS256.
 *
 * @param request The claims.
 * @param settings The secret, issuer and audience.
 * @returns The compact JWT.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signToken } from "./token.ts";
 *
 * const token = await signToken({ sub: "ada" }, { secret: "x".repeat(32) });
 * assert.equal(token.split(".").length, 3);
 * ```
 */
export function signToken(
  request: TokenRequest,
  settings: SigningSettings,
): Promise<string> {
  const claims: Record<string, unknown> = {};
  if (request.name !== undefined) claims.name = request.name;
  if (request.rooms?.length) claims.rooms = request.rooms;
  if (request.role !== undefined) claims.role = request.role;
  const token = new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(request.sub)
    .setIssuedAt()
    .setExpirationTime(
      Math.floor(Date.now() / 1000) +
        (request.ttlSeconds ?? DEFAULT_TTL_SECONDS),
    );
  if (settings.issuer) token.setIssuer(settings.issuer);
  if (settings.audience) token.setAudience(settings.audience);
  return token.sign(new TextEncoder().encode(settings.secret));
}

/**
 * Runs the command: reads the flags and the server's settings, prints the token.
 *
 * @param args Command-line arguments.
 * @returns The exit code: 0, or 2 for bad arguments or no secret.
 */
export async function run(args: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        sub: { type: "string" },
        name: { type: "string" },
        rooms: { type: "string" },
        role: { type: "string" },
        ttl: { type: "string" },
      },
      strict: true,
    }));
  } catch (error) {
    print(`error: ${(error as Error).message}`, "stderr");
    return 2;
  }
  const ttl = Number(values.ttl ?? DEFAULT_TTL_SECONDS);
  const problem = !values.sub
    ? "--sub is required"
    : values.role !== undefined && !ROLES.includes(values.role as never)
    ? `--role must be one of ${ROLES.join(", ")}`
    : !Number.isSafeInteger(ttl) || ttl < 1
    ? "--ttl must be a positive number of seconds"
    : undefined;
  if (problem) {
    print(`error: Cannot sign token: ${problem}`, "stderr");
    print(
      "Usage: deno task token --sub ID [--name NAME] [--rooms A,B*] [--role ROLE] [--ttl SECONDS]",
      "stderr",
    );
    return 2;
  }
  let config;
  try {
    const loaded = loadConfig([], (name) => Deno.env.get(name));
    if (loaded.help) return 0;
    config = loaded.config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    print(`error: ${error.message}`, "stderr");
    return 2;
  }
  if (config.authSecret === "") {
    print(
      "error: Cannot sign token: set CHAT_AUTH_SECRET to the secret the server verifies with",
      "stderr",
    );
    return 2;
  }
  const token = await signToken({
    sub: values.sub!,
    name: values.name,
    rooms: values.rooms?.split(",").map((room) => room.trim()).filter(Boolean),
    role: values.role,
    ttlSeconds: ttl,
  }, {
    secret: config.authSecret,
    issuer: config.authIssuer,
    audience: config.authAudience,
  });
  print(token);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await run(Deno.args));
}
