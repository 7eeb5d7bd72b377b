/**
 * Rooms of counting load clients and the traffic among them, for the soak
 * scenarios: opening and closing the clients, sending at a steady rate,
 * waiting for every delivery and counting what arrived.
 *
 * @module
 */
import { LoadClient, type LoadStats } from "./soak_clients.ts";
import type { SoakTarget } from "./soak_target.ts";
import { until } from "./_soak_waits.ts";

/**
 * Opens `count` clients spread evenly over `rooms` rooms, 50 at a time.
 *
 * @param target The server.
 * @param count Clients to open.
 * @param rooms Rooms to spread them over, named `room-0` onwards.
 * @param stats Where the clients count.
 * @param prefix Start of each client's name, followed by its index.
 * @returns The clients of each room, by room index.
 */
export async function openClients(
  target: SoakTarget,
  count: number,
  rooms: number,
  stats: LoadStats,
  prefix: string,
): Promise<LoadClient[][]> {
  const byRoom: LoadClient[][] = Array.from({ length: rooms }, () => []);
  const batch = 50;
  for (let start = 0; start < count; start += batch) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, (_, i) => {
        const index = start + i;
        return LoadClient.open(
          target.wsUrl,
          `${prefix}${index}`,
          `room-${index % rooms}`,
          stats,
        );
      }),
    );
    for (const client of opened) {
      byRoom[Number(client.room.slice(5))]!.push(client);
    }
  }
  return byRoom;
}

/**
 * Closes every client of every room.
 *
 * @param byRoom Clients by room, as {@linkcode openClients} opened them.
 */
export async function closeAll(byRoom: LoadClient[][]): Promise<void> {
  await Promise.all(byRoom.flat().map((client) => client.close()));
}

/**
 * Sends `ratePerRoom` messages per second into every room, from its members
 * in turn, for `seconds`.
 *
 * @param byRoom Clients by room.
 * @param ratePerRoom Messages per second into each room.
 * @param seconds Longest run.
 * @param textBytes Length of each message's text.
 * @param stop Ends the run early when it settles.
 */
export async function traffic(
  byRoom: LoadClient[][],
  ratePerRoom: number,
  seconds: number,
  textBytes: number,
  stop?: Promise<unknown>,
): Promise<void> {
  const timers = byRoom.map((members) => {
    let turn = 0;
    return setInterval(() => {
      members[turn++ % members.length]?.send(textBytes);
    }, 1000 / ratePerRoom);
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      new Promise((resolve) => timer = setTimeout(resolve, seconds * 1000)),
      ...(stop ? [stop] : []),
    ]);
  } finally {
    clearTimeout(timer);
    for (const interval of timers) clearInterval(interval);
  }
}

/**
 * Waits until every send is answered and every message delivered to every member.
 *
 * @param stats The clients' counts.
 * @param roomSize Members of each room, each of whom receives every message.
 * @param ms Longest wait; what has not arrived by then counts as lost.
 * @returns Deliveries expected, and how many of them never arrived.
 */
export async function drain(
  stats: LoadStats,
  roomSize: number,
  ms = 30_000,
): Promise<{ expected: number; lost: number }> {
  const answered = () =>
    stats.acked + [...stats.errors.values()].reduce((a, b) => a + b, 0);
  try {
    await until(
      () =>
        answered() >= stats.sent &&
        stats.received >= (stats.acked - stats.duplicates) * roomSize,
      "every message to be delivered",
      ms,
    );
  } catch {
    // Report the shortfall as lost rather than failing here.
  }
  const expected = (stats.acked - stats.duplicates) * roomSize;
  return { expected, lost: expected - stats.received };
}

/** What the clients of a run received, and what went wrong. */
export interface DeliveryCounts {
  delivered: number;
  lost: number;
  outOfSequence: number;
  /** Fresh messages the server acknowledged as duplicates (never published). */
  duplicates: number;
  errors: Record<string, number>;
  /** Clients the server closed, by close code. */
  unexpectedCloses: Record<number, number>;
}

/**
 * The delivery counts of a run.
 *
 * @param stats The clients' counts.
 * @param lost Deliveries that never arrived, from {@linkcode drain}.
 * @returns The counts, ready to report.
 */
export function deliveryCounts(stats: LoadStats, lost: number): DeliveryCounts {
  return {
    delivered: stats.received,
    lost,
    outOfSequence: stats.outOfSequence,
    duplicates: stats.duplicates,
    errors: Object.fromEntries(stats.errors),
    unexpectedCloses: Object.fromEntries(stats.unexpectedCloses),
  };
}
