/**
 * The settings of message actions, moderation and the server API, for the
 * table of every setting in `settings.ts`.
 *
 * @module
 */
import { define, hostname, integer, secret } from "./_setting_parsers.ts";
import type { Setting } from "./config.ts";

/** The settings, in the order `--help` and the README list them. */
export const MODERATION_SETTINGS: readonly Setting[] = [
  define({
    key: "editWindow",
    env: "CHAT_EDIT_WINDOW",
    flag: "edit-window",
    defaultValue: 900,
    description:
      "Seconds after sending during which an author may edit or delete a message (0 = always)",
    parse: integer(0, 31_536_000),
  }),
  define({
    key: "maxEdits",
    env: "CHAT_MAX_EDITS",
    flag: "max-edits",
    defaultValue: 50,
    // A deletion scrubs every edit's text in one commit, which Deno KV
    // bounds at 1,000 writes.
    description: "Edits one message may have",
    parse: integer(1, 500),
  }),
  define({
    key: "typingInterval",
    env: "CHAT_TYPING_INTERVAL",
    flag: "typing-interval",
    defaultValue: 2000,
    description:
      "Milliseconds between two typing events of one user in one room",
    parse: integer(100, 60_000),
  }),
  define({
    key: "moderationMaxAge",
    env: "CHAT_MODERATION_MAX_AGE",
    flag: "moderation-max-age",
    defaultValue: 31_536_000,
    description: "Seconds a moderation record is kept (0 = for good)",
    parse: integer(0, 3_153_600_000),
  }),
  define({
    key: "apiKey",
    env: "CHAT_API_KEY",
    flag: "api-key",
    defaultValue: "",
    description:
      "Bearer key (32+ bytes) of the server API under /api/ (empty: API off)",
    parse: secret,
    secret: true,
  }),
  define({
    key: "apiPort",
    env: "CHAT_API_PORT",
    flag: "api-port",
    defaultValue: 0,
    description:
      "Port that serves the server API alone (0: under /api/ on the chat's port)",
    parse: integer(0, 65535),
  }),
  define({
    key: "apiHostname",
    env: "CHAT_API_HOSTNAME",
    flag: "api-hostname",
    defaultValue: "127.0.0.1",
    description: "Interface CHAT_API_PORT listens on",
    parse: hostname,
  }),
  define({
    key: "apiMaxBodyBytes",
    env: "CHAT_API_MAX_BODY_BYTES",
    flag: "api-max-body-bytes",
    defaultValue: 65_536,
    description: "Largest body of a server API request (413 above)",
    parse: integer(1024, 16_777_216),
  }),
];
