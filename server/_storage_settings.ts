/**
 * The settings of history, rooms and what instances share (Deno KV, Redis,
 * fan-out, presence), for the table of every setting in `settings.ts`.
 *
 * @module
 */
import { BROKER_KINDS, type Setting } from "./config.ts";
import { define, integer, oneOf, url } from "./_setting_parsers.ts";

/** The settings, in the order `--help` and the README list them. */
export const STORAGE_SETTINGS: readonly Setting[] = [
  define({
    key: "kvPath",
    env: "CHAT_KV_PATH",
    flag: "kv-path",
    defaultValue: "data/chat.db",
    description:
      "Deno KV file for history (:memory: for none kept; empty: platform KV)",
    parse: (raw) => raw.trim(),
  }),
  define({
    key: "historyLimit",
    env: "CHAT_HISTORY_LIMIT",
    flag: "history-limit",
    defaultValue: 100,
    description:
      "Messages sent on join or resume, and the largest history page",
    parse: integer(1, 1000),
  }),
  define({
    key: "historyMaxMessages",
    env: "CHAT_HISTORY_MAX_MESSAGES",
    flag: "history-max-messages",
    defaultValue: 10_000,
    description: "Messages kept per room; older ones are deleted",
    parse: integer(1, 10_000_000),
  }),
  define({
    key: "historyMaxAge",
    env: "CHAT_HISTORY_MAX_AGE",
    flag: "history-max-age",
    defaultValue: 2_592_000,
    description: "Seconds a message is kept (0 = no age limit)",
    parse: integer(0, 3_153_600_000),
  }),
  define({
    key: "nonceTtl",
    env: "CHAT_NONCE_TTL",
    flag: "nonce-ttl",
    defaultValue: 600,
    description: "Seconds a send nonce is remembered for de-duplication",
    parse: integer(1, 604_800),
  }),
  define({
    key: "maxRooms",
    env: "CHAT_MAX_ROOMS",
    flag: "max-rooms",
    defaultValue: 20,
    description: "Rooms one connection may be in at once",
    parse: integer(1, 1000),
  }),
  define({
    key: "largeRoom",
    env: "CHAT_LARGE_ROOM",
    flag: "large-room",
    defaultValue: 200,
    description:
      "Room size above which joins list only this many members and presence sends counts, not names",
    // Every join would otherwise carry the whole room and be announced to
    // all of it: quadratic in the room's size.
    parse: integer(0, 100_000),
  }),
  define({
    key: "commitWindow",
    env: "CHAT_COMMIT_WINDOW",
    flag: "commit-window",
    defaultValue: 0,
    description:
      "Milliseconds a room's next batch of messages waits for more before it is stored (fewer commits under load, more latency; 0 = at once)",
    // Off by default: Deno's shortest timer fires after ~2 ms here, which
    // alone would take a lone message's p99 past 5 ms (docs/performance.md).
    parse: integer(0, 1000),
  }),
  define({
    key: "directoryLimit",
    env: "CHAT_DIRECTORY_LIMIT",
    flag: "directory-limit",
    defaultValue: 100,
    description:
      "Public rooms a rooms request (the room directory) lists at most",
    parse: integer(1, 1000),
  }),
  define({
    key: "redisUrl",
    env: "REDIS_URL",
    flag: "redis-url",
    defaultValue: "",
    description:
      "Redis for history, presence and fan-out between instances (empty: none)",
    parse: url(["redis", "rediss"]),
  }),
  define({
    key: "broker",
    env: "CHAT_BROKER",
    flag: "broker",
    defaultValue: "auto",
    description:
      "Fan-out: memory, kv or redis (auto: redis with REDIS_URL, else kv on Deploy)",
    parse: oneOf(BROKER_KINDS),
  }),
  define({
    key: "presenceTtl",
    env: "CHAT_PRESENCE_TTL",
    flag: "presence-ttl",
    defaultValue: 15,
    description: "Seconds a dead instance's members stay listed (Redis, KV)",
    parse: integer(1, 3600),
  }),
];
