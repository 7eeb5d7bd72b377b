/**
 * The settings of sign-in: the keys tokens are verified with, the claims
 * they must carry, guests and connections per user; for the table of every
 * setting in `settings.ts`.
 *
 * @module
 */
import { GUEST_POLICIES, type Setting } from "./config.ts";
import {
  boolean,
  define,
  integer,
  list,
  oneOf,
  secret,
  url,
} from "./_setting_parsers.ts";

/** The settings, in the order `--help` and the README list them. */
export const AUTH_SETTINGS: readonly Setting[] = [
  define({
    key: "authSecret",
    env: "CHAT_AUTH_SECRET",
    flag: "auth-secret",
    defaultValue: "",
    description: "Shared secret (32+ bytes) that verifies HS256/384/512 tokens",
    parse: secret,
    secret: true,
  }),
  define({
    key: "authPublicKey",
    env: "CHAT_AUTH_PUBLIC_KEY",
    flag: "auth-public-key",
    defaultValue: "",
    description: "PEM public key that verifies RS, PS, ES or EdDSA tokens",
    parse: (raw) => raw.trim(),
  }),
  define({
    key: "authJwksUrl",
    env: "CHAT_AUTH_JWKS_URL",
    flag: "auth-jwks-url",
    defaultValue: "",
    description: "JWKS URL of an identity provider that verifies tokens",
    parse: url(["https", "http"]),
  }),
  define({
    key: "authJwksCooldown",
    env: "CHAT_AUTH_JWKS_COOLDOWN",
    flag: "auth-jwks-cooldown",
    defaultValue: 30,
    description:
      "Seconds before an unknown key id may fetch the JWKS again (key rotation)",
    parse: integer(0, 86_400),
  }),
  define({
    key: "authIssuer",
    env: "CHAT_AUTH_ISSUER",
    flag: "auth-issuer",
    defaultValue: "",
    description: "Required token issuer (iss)",
    parse: (raw) => raw.trim(),
  }),
  define({
    key: "authAudience",
    env: "CHAT_AUTH_AUDIENCE",
    flag: "auth-audience",
    defaultValue: "",
    description: "Required token audience (aud)",
    parse: (raw) => raw.trim(),
  }),
  define({
    key: "authAlgorithms",
    env: "CHAT_AUTH_ALGORITHMS",
    flag: "auth-algorithms",
    defaultValue: [],
    description:
      "Comma-separated token algorithms accepted (none: every one the key suits)",
    parse: list,
  }),
  define({
    key: "authRequireExpiry",
    env: "CHAT_AUTH_REQUIRE_EXP",
    flag: "auth-require-exp",
    defaultValue: true,
    description: "Whether tokens must carry exp",
    parse: boolean,
  }),
  define({
    key: "authClockSkew",
    env: "CHAT_AUTH_CLOCK_SKEW",
    flag: "auth-clock-skew",
    defaultValue: 30,
    description: "Seconds of clock difference allowed for exp, nbf and iat",
    parse: integer(0, 600),
  }),
  define({
    key: "authMaxTokenBytes",
    env: "CHAT_AUTH_MAX_TOKEN_BYTES",
    flag: "auth-max-token-bytes",
    defaultValue: 8192,
    description: "Longest token accepted, in bytes",
    parse: integer(256, 65_536),
  }),
  define({
    key: "authTimeout",
    env: "CHAT_AUTH_TIMEOUT",
    flag: "auth-timeout",
    defaultValue: 10,
    description:
      "Seconds a connection that must sign in has to send its token (4401)",
    parse: integer(1, 600),
  }),
  define({
    key: "guests",
    env: "CHAT_GUESTS",
    flag: "guests",
    defaultValue: "auto",
    description:
      "Connections without a token: on, read-only or off (auto: on without a key, off with one)",
    parse: oneOf(GUEST_POLICIES),
  }),
  define({
    key: "maxConnectionsPerUser",
    env: "CHAT_MAX_CONNECTIONS_PER_USER",
    flag: "max-connections-per-user",
    defaultValue: 20,
    description: "Connections one signed-in user may hold on this instance",
    parse: integer(1, 100_000),
  }),
  define({
    key: "authTokenUrl",
    env: "CHAT_AUTH_TOKEN_URL",
    flag: "auth-token-url",
    defaultValue: "",
    description:
      "Host application URL where the web UI fetches its token (with cookies)",
    parse: (raw) => raw.trim(),
  }),
];
