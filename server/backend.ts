/**
 * Picks and opens what the chat runs on, from the settings: the broker that
 * carries messages between instances, the history and the presence. One
 * process alone uses memory and a KV file; several use Redis; Deno Deploy's
 * isolates use the platform KV for all three.
 *
 * @module
 */
import { type Broker, MemoryBroker } from "../broker.ts";
import { BusMetrics } from "../chat/bus_metrics.ts";
import { type Config, ConfigError } from "./config.ts";
import type { History } from "../chat/history.ts";
import { KvBroker } from "../kv/broker.ts";
import { openKv } from "../kv/database.ts";
import { KvHistory } from "../kv/history.ts";
import { KvPresence } from "../kv/presence.ts";
import { MemoryPresence, type Presence } from "../chat/presence.ts";
import type { Broadcast } from "../chat/events.ts";
import { DEFAULT_CHANNEL, RedisBroker } from "../redis/broker.ts";
import { connectRedis } from "../redis/client.ts";
import { RedisHistory } from "../redis/history.ts";
import { RedisPresence } from "../redis/presence.ts";
import { RedisModeration } from "../redis/moderation.ts";
import { RedisControl } from "../redis/control.ts";
import { KvModeration } from "../kv/moderation.ts";
import { KvControl } from "../kv/control.ts";
import { type ControlChannel, MemoryControl } from "../chat/control.ts";
import type { ModerationStore } from "../chat/moderation.ts";

/** State of one dependency, for `/healthz` and `/readyz`. */
export interface HealthReport {
  /** Whether every dependency is reachable. */
  ready: boolean;
  /** Each dependency by name: `"ok"` or `"down"`. */
  dependencies: Record<string, "ok" | "down">;
}

/** What the chat runs on; dispose it after the handler has shut down. */
export interface Backend extends AsyncDisposable {
  /** Which broker was chosen. */
  kind: "memory" | "kv" | "redis";
  broker: Broker<Broadcast>;
  history: History;
  presence: Presence;
  /** Bans and the moderation record. */
  moderation: ModerationStore;
  /** Carries bans, kicks and disconnections to every instance. */
  control: ControlChannel;
  /** What the bus between instances counts, when there is one (Redis, Deno KV). */
  busMetrics?: BusMetrics;
  /** The dependencies' state now. */
  health(): HealthReport;
}

/**
 * The broker the settings call for: `auto` becomes `redis` when a Redis URL
 * is set, else `memory` (Deno Deploy's defaults already say `kv`).
 *
 * @param config The settings.
 * @returns The broker kind to open.
 * @throws {ConfigError} When the broker and the Redis URL disagree.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "./settings.ts";
 * import { resolveBrokerKind } from "./backend.ts";
 *
 * assert.equal(resolveBrokerKind(defaultConfig()), "memory");
 * assert.equal(resolveBrokerKind({ ...defaultConfig(), redisUrl: "redis://r:6379" }), "redis");
 * ```
 */
export function resolveBrokerKind(config: Config): Backend["kind"] {
  const kind = config.broker === "auto"
    ? config.redisUrl === "" ? "memory" : "redis"
    : config.broker;
  if (kind === "redis" && config.redisUrl === "") {
    throw new ConfigError('Invalid CHAT_BROKER "redis": REDIS_URL is empty');
  }
  if (kind !== "redis" && config.redisUrl !== "") {
    throw new ConfigError(
      `Invalid CHAT_BROKER "${kind}": REDIS_URL is set, which needs "redis"`,
    );
  }
  return kind;
}

/**
 * Opens the backend the settings call for. A Redis backend returns at once
 * even when Redis is down: it reports itself unready and reconnects by
 * itself.
 *
 * @param config The settings.
 * @returns The open backend.
 * @throws {ConfigError} For contradicting settings.
 * @throws When the KV database cannot be opened.
 */
/**
 * The history options the settings call for.
 *
 * @param config The settings.
 * @returns Retention, the de-duplication window and the edit limit.
 */
export function historyOptions(config: Config): {
  maxMessages: number;
  maxAgeMs: number;
  nonceTtlMs: number;
  maxEdits: number;
} {
  return {
    maxMessages: config.historyMaxMessages,
    maxAgeMs: config.historyMaxAge * 1000,
    nonceTtlMs: config.nonceTtl * 1000,
    maxEdits: config.maxEdits,
  };
}

export async function openBackend(config: Config): Promise<Backend> {
  const kind = resolveBrokerKind(config);
  if (kind === "redis") return openRedisBackend(config);
  const kv = await openKv(config.kvPath);
  const busMetrics = kind === "kv" ? new BusMetrics() : undefined;
  const history = new KvHistory(kv, {
    ...historyOptions(config),
    metrics: busMetrics,
  });
  const broker = kind === "kv"
    ? new KvBroker(kv, { log: history, metrics: busMetrics })
    : new MemoryBroker<Broadcast>();
  const presence = kind === "kv"
    ? new KvPresence(kv, { ttlMs: config.presenceTtl * 1000 })
    : new MemoryPresence();
  // Bans live in the history's database, so they hold across restarts even
  // with one instance; the control channel needs KV only between isolates.
  const moderation = new KvModeration(kv, moderationOptions(config));
  const control = kind === "kv"
    ? new KvControl(kv, { metrics: busMetrics })
    : new MemoryControl();
  return {
    kind,
    broker,
    history,
    presence,
    moderation,
    control,
    busMetrics,
    health: () => ({ ready: true, dependencies: { kv: "ok" } }),
    // The handler's shutdown closes the broker, history (and so the KV),
    // presence, moderation and control.
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}

/** The moderation store's options the settings call for. */
function moderationOptions(config: Config): { maxAgeMs: number } {
  return { maxAgeMs: config.moderationMaxAge * 1000 };
}

function openRedisBackend(config: Config): Backend {
  const redis = connectRedis(config.redisUrl);
  const { client } = redis;
  const busMetrics = new BusMetrics();
  // The history's scripts publish what they store on the brokers' channel.
  const bus = { channel: DEFAULT_CHANNEL, from: crypto.randomUUID() };
  const history = new RedisHistory(client, {
    ...historyOptions(config),
    metrics: busMetrics,
    bus,
  });
  const broker = new RedisBroker({
    client,
    subscriber: redis.subscriber,
    log: history,
    maxMessageBytes: config.maxMessageBytes,
    metrics: busMetrics,
    instanceId: bus.from,
    entriesPublished: true,
  });
  const presence = new RedisPresence(client, {
    ttlMs: config.presenceTtl * 1000,
  });
  const moderation = new RedisModeration(client, moderationOptions(config));
  const control = new RedisControl({
    client,
    subscriber: redis.subscriber,
    metrics: busMetrics,
  });
  return {
    kind: "redis",
    broker,
    history,
    presence,
    moderation,
    control,
    busMetrics,
    health() {
      const ok = client.isReady && broker.connected;
      return { ready: ok, dependencies: { redis: ok ? "ok" : "down" } };
    },
    [Symbol.asyncDispose]() {
      redis[Symbol.dispose]();
      return Promise.resolve();
    },
  };
}
