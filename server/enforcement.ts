/**
 * Where moderation reaches this instance's connections: each control event
 * goes to the connections of the user it names, and when the channel may
 * have missed events, every connection rechecks its rooms against the
 * store.
 *
 * @module
 */
import type { ControlChannel } from "../chat/control.ts";
import { log } from "../observability/log.ts";
import type { Connection } from "./connection.ts";

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
