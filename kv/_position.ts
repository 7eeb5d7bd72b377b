/**
 * Where a room's log stands in Deno KV, for `history.ts`: its last id and
 * its epoch, with the versionstamps a write must check, starting a new
 * epoch when the room has none or is found behind what was seen of it.
 *
 * @module
 */
import { newEpoch, type RoomPosition } from "../chat/history.ts";
import { commitOrBusy } from "./database.ts";

/** Where a room's log stood when read, with what a write must check. */
export interface Head {
  lastId: number;
  versionstamp: string | null;
  epoch: string;
  epochVersionstamp: string;
}

/**
 * Reads the room's head and epoch, starting a new epoch when the room has
 * none, or when its head is below what `seen` saw in the same epoch.
 *
 * @param kv The database.
 * @param room The room.
 * @param seen Where the caller saw the log last, if anywhere.
 * @returns The head and epoch, with their versionstamps.
 */
export async function readPosition(
  kv: Deno.Kv,
  room: string,
  seen?: RoomPosition,
): Promise<Head> {
  while (true) {
    const [head, epoch] = await kv.getMany<[unknown, unknown]>([
      ["head", room],
      ["epoch", room],
    ]);
    const lastId = typeof head.value === "number" ? head.value : 0;
    const behind = seen !== undefined && seen.epoch === epoch.value &&
      lastId < seen.head;
    if (typeof epoch.value === "string" && epoch.versionstamp && !behind) {
      return {
        lastId,
        versionstamp: head.versionstamp,
        epoch: epoch.value,
        epochVersionstamp: epoch.versionstamp,
      };
    }
    const fresh = newEpoch();
    const commit = await commitOrBusy(
      kv.atomic().check(head, epoch).set(["epoch", room], fresh),
    );
    if (commit.ok) {
      return {
        lastId,
        versionstamp: head.versionstamp,
        epoch: fresh,
        epochVersionstamp: commit.versionstamp,
      };
    }
  }
}
