/**
 * The abrupt-death scenario: clients vanish with a TCP reset or fall
 * silent, and the server should drop them within its idle timeout.
 *
 * @module
 */
import { openStalledPeer } from "./soak_clients.ts";
import { snapshot, type SoakTarget } from "./soak_target.ts";
import { settle } from "./_soak_waits.ts";

/** What {@linkcode abruptDeath} measured. */
export interface AbruptDeathResult {
  peers: number;
  /** Time until the server had dropped peers whose TCP connection was reset. */
  resetCleanupMs: number;
  /** Time until the server had dropped peers that went silent (no reset, no pong). */
  silentCleanupMs: number;
  idleTimeoutSeconds: number;
}

/**
 * Kills `peers` clients with a TCP reset (closing with unread data), then
 * lets as many go silent, and measures how long the server takes to drop
 * each group. The server must run with `--idle-timeout idleTimeoutSeconds`.
 *
 * @param target The server.
 * @param options Peers in each group, and the server's idle timeout.
 * @returns How long each group took to be dropped.
 */
export async function abruptDeath(
  target: SoakTarget,
  options: { peers: number; idleTimeoutSeconds: number },
): Promise<AbruptDeathResult> {
  const { peers, idleTimeoutSeconds } = options;
  const baseline = await snapshot(target);
  const limit = idleTimeoutSeconds * 3000 + 10_000;
  const open = async () => {
    const conns: Deno.TcpConn[] = [];
    for (let i = 0; i < peers; i++) {
      conns.push(await openStalledPeer(target.port, ["general"]));
    }
    await settle(
      target,
      baseline.connections + peers,
      baseline.subscribers + peers,
    );
    return conns;
  };
  const reset = await open();
  const resetStarted = performance.now();
  // Each peer has its unread hello and joined: closing now sends a reset.
  for (const conn of reset) conn.close();
  await settle(target, baseline.connections, baseline.subscribers, limit);
  const resetCleanupMs = performance.now() - resetStarted;

  const silent = await open();
  try {
    const silentStarted = performance.now();
    await settle(target, baseline.connections, baseline.subscribers, limit);
    return {
      peers,
      resetCleanupMs,
      silentCleanupMs: performance.now() - silentStarted,
      idleTimeoutSeconds,
    };
  } finally {
    for (const conn of silent) conn.close();
  }
}
