/**
 * Moderation on one instance: the moderator over the store and the control
 * channel, the server API that acts through it, and where the channel's
 * events reach this instance's connections (each event goes to the
 * connections of the user it names; when the channel may have missed
 * events, every connection rechecks its rooms against the store).
 *
 * @module
 */
import type { Chat } from "../chat/chat.ts";
import { type ControlChannel, MemoryControl } from "../chat/control.ts";
import { MemoryModeration, type ModerationStore } from "../chat/moderation.ts";
import { Moderator } from "../chat/moderator.ts";
import type { Presence } from "../chat/presence.ts";
import { log } from "../observability/log.ts";
import { createApi } from "./api.ts";
import type { Config } from "./config.ts";
import type { Connection } from "./connection.ts";

/** Options for {@linkcode openModeration}. */
export interface InstanceModerationOptions {
  config: Config;
  chat: Chat;
  presence: Presence;
  /** This instance's connections, as they change. */
  connections: ReadonlySet<Connection>;
  /** @default {new MemoryModeration()} */
  store?: ModerationStore;
  /** @default {new MemoryControl()} */
  control?: ControlChannel;
  /** The clock bans count from. */
  now: () => number;
}

/** Moderation on one instance; dispose it at shutdown, after the connections. */
export interface InstanceModeration extends AsyncDisposable {
  moderator: Moderator;
  /** The server API's handler, when `CHAT_API_KEY` is set. */
  api?: (req: Request) => Promise<Response>;
}

/**
 * Sets up moderation on this instance, listening to the control channel.
 *
 * @param options The settings, the chat, the store and the channel.
 * @returns The moderator and the API; disposing them closes the store and the channel.
 */
export function openModeration(
  options: InstanceModerationOptions,
): InstanceModeration {
  const { config, chat, presence, now } = options;
  const store = options.store ??
    new MemoryModeration({ maxAgeMs: config.moderationMaxAge * 1000, now });
  const control = options.control ?? new MemoryControl();
  const moderator = new Moderator({ store, control, now });
  const listening = enforce(control, options.connections);
  return {
    moderator,
    api: config.apiKey === ""
      ? undefined
      : createApi({ apiKey: config.apiKey, chat, presence, moderator, config }),
    async [Symbol.asyncDispose]() {
      listening[Symbol.dispose]();
      await control.close();
      await store.close();
    },
  };
}

/**
 * Acts on the control channel's events for `connections`, as long as it lasts.
 *
 * @param control The channel.
 * @param connections This instance's connections, as they change.
 * @returns Disposing it stops listening.
 */
export function enforce(
  control: ControlChannel,
  connections: ReadonlySet<Connection>,
): Disposable {
  return control.listen({
    event(event) {
      for (const connection of connections) {
        if (connection.userId === event.userId) connection.control(event);
      }
    },
    missed() {
      log("info", "moderation.recheck", { connections: connections.size });
      for (const connection of connections) {
        connection.recheckBans().catch((error) =>
          log("warn", "moderation.recheck_failed", { error })
        );
      }
    },
  });
}
