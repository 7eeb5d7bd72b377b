/**
 * The behaviour every {@linkcode Presence} must have, as tests that
 * `chat/presence_test.ts`, `kv/presence_test.ts` and `redis/presence_test.ts`
 * run against their store.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Member } from "../chat/events.ts";
import type { Presence } from "../chat/presence.ts";
import { contractTests } from "./contract.ts";

/** A member whose id is their name, as these tests use them. */
function member(name: string): Member {
  return { id: name, name };
}

/** Reads the names `members()` lists. */
async function names(
  presence: Presence,
  room: string,
  limit?: number,
): Promise<string[]> {
  return (await presence.members(room, limit)).map((member) => member.name);
}

/** Settings a contract test needs from fresh presences. */
export interface PresenceContractOptions {
  /**
   * Clock in milliseconds since the Unix epoch, shared by both instances.
   *
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * Milliseconds an instance's entries live without a heartbeat.
   *
   * @default {"the store's default"}
   */
  ttlMs?: number;
}

/**
 * Two instances' presences over one fresh, empty store; disposing it
 * releases everything they used. A store that lives in one process gives
 * the same presence twice.
 */
export interface PresencePair extends AsyncDisposable {
  a: Presence;
  b: Presence;
  /**
   * Ends instance A as a crash would: its heartbeat stops and it removes
   * nothing. Only stores shared by several instances have it.
   */
  killA?: () => void;
}

/** Opens two instances' presences over one fresh, empty store. */
export type OpenPresences = (
  options?: PresenceContractOptions,
) => Promise<PresencePair>;

/** Registration settings of {@linkcode presenceContract}. */
export interface PresenceContractSettings {
  /**
   * Whether the store is shared by several instances, whose entries expire
   * when their instance dies (the pair has `killA`).
   *
   * @default {false}
   */
  shared?: boolean;
  /**
   * Skips the tests when the store cannot run here.
   *
   * @default {false}
   */
  ignore?: boolean;
}

/**
 * Registers the contract's tests for one implementation.
 *
 * @param name Class name, used in the test names.
 * @param open Opens two fresh instances for each test.
 * @param settings Whether the store is shared, and whether to skip.
 */
export function presenceContract(
  name: string,
  open: OpenPresences,
  settings: PresenceContractSettings = {},
): void {
  const { shared = false, ignore = false } = settings;
  const test = contractTests(name, ignore);

  test("join() and leave() report a user's first arrival and last departure over every instance", async () => {
    await using pair = await open();
    const { a, b } = pair;
    assert.equal(await a.join("general", member("ada")), true);
    assert.equal(await a.join("general", member("ada")), false, "a second tab");
    assert.equal(
      await b.join("general", member("ada")),
      false,
      "a tab elsewhere",
    );
    assert.equal(
      await a.leave("general", member("ada")),
      false,
      "tabs are left",
    );
    assert.equal(await a.leave("general", member("ada")), false, "one is left");
    assert.deepEqual(await names(a, "general"), ["ada"]);
    assert.equal(await b.leave("general", member("ada")), true);
    assert.equal(
      await b.leave("general", member("ada")),
      false,
      "already gone",
    );
    assert.deepEqual(await names(a, "general"), []);
  });

  test("join() under a new name lists the user once, under the latest name", async () => {
    await using pair = await open();
    const { a, b } = pair;
    const ada = { id: "u1", name: "Ada" };
    const renamed = { id: "u1", name: "Ada L." };
    await a.join("general", ada);
    await b.join("general", ada);
    assert.equal(await b.join("general", renamed), false, "already present");
    assert.equal(await b.leave("general", renamed), false);
    assert.deepEqual(await a.members("general"), [renamed]);
    assert.deepEqual(await b.members("general"), [renamed]);
    assert.equal(await a.count("general"), 1);
  });

  test("members() keeps a guest's mark and tells apart users who share a name", async () => {
    await using pair = await open();
    const { a, b } = pair;
    const guest: Member = { id: "guest:1", name: "Sam", guest: true };
    const sam: Member = { id: "u2", name: "Sam" };
    await a.join("general", guest);
    await b.join("general", sam);
    assert.deepEqual(await a.members("general"), [guest, sam]);
    assert.equal(await b.count("general"), 2);
  });

  test("members() lists every instance's users once, sorted by name, per room", async () => {
    await using pair = await open();
    const { a, b } = pair;
    const joining = ["mia", "Ada", "bo", "zoë", "bo", "émile", "al"];
    for (const [i, name] of joining.entries()) {
      await (i % 2 === 0 ? a : b).join("general", member(name));
    }
    await b.join("other", member("dee"));
    const sorted = ["Ada", "al", "bo", "mia", "zoë", "émile"];
    assert.deepEqual(await names(a, "general"), sorted);
    assert.deepEqual(await names(b, "general"), sorted);
    assert.deepEqual(await names(a, "other"), ["dee"]);
    assert.deepEqual(await names(a, "empty"), []);
    const members = await b.members("general");
    members.push(member("mutated"));
    assert.deepEqual(await names(b, "general"), sorted, "a copy");
  });

  test("members() with a limit lists that many users; count() counts them all", async () => {
    await using pair = await open();
    const { a, b } = pair;
    for (const name of ["cy", "ada", "bo"]) {
      await a.join("general", member(name));
    }
    await b.join("general", member("ada"));
    await b.join("general", member("dee"));
    const listed = await names(b, "general", 2);
    assert.equal(listed.length, 2);
    assert.deepEqual(listed, [...listed].sort());
    for (const name of listed) {
      assert(["ada", "bo", "cy", "dee"].includes(name));
    }
    assert.deepEqual(await names(a, "general", 0), []);
    assert.equal(await a.count("general"), 4);
    assert.equal(await b.count("empty"), 0);
  });

  test("join() racing on two instances announces a user once, and leave() once", async () => {
    await using pair = await open();
    const { a, b } = pair;
    for (let round = 0; round < 5; round++) {
      const user = `user${round}`;
      const joined = await Promise.all([
        a.join("general", member(user)),
        b.join("general", member(user)),
      ]);
      assert.equal(joined.filter(Boolean).length, 1, `joins of ${user}`);
      const left = await Promise.all([
        a.leave("general", member(user)),
        b.leave("general", member(user)),
      ]);
      assert.equal(left.filter(Boolean).length, 1, `leaves of ${user}`);
    }
  });

  test("rooms() lists the rooms with someone present on any instance, up to a limit", async () => {
    await using pair = await open();
    const { a, b } = pair;
    await a.join("general", member("ada"));
    await b.join("dev", member("bo"));
    await b.join("dm:ada:bo", member("bo"));
    await a.join("gone", member("cy"));
    await a.leave("gone", member("cy"));
    assert.deepEqual((await a.rooms(10)).sort(), [
      "dev",
      "dm:ada:bo",
      "general",
    ]);
    assert.equal((await b.rooms(2)).length, 2);
  });

  test("rooms() lists only rooms `accept` takes, and the others do not count against the limit", async () => {
    await using pair = await open();
    const { a, b } = pair;
    // Refused rooms first, in name order and in order of arrival.
    await a.join("a-private", member("ada"));
    await b.join("b-direct", member("bo"));
    await a.join("dev", member("ada"));
    await b.join("general", member("bo"));
    await a.join("zeta", member("cy"));
    const listed = await b.rooms(2, (room) => !/^[ab]-/.test(room));
    assert.equal(listed.length, 2);
    for (const room of listed) {
      assert(["dev", "general", "zeta"].includes(room));
    }
  });

  if (!shared) return;

  test("close() removes its instance's users and keeps the others'", async () => {
    await using pair = await open();
    const { a, b } = pair;
    await a.join("general", member("ada"));
    await a.join("other", member("ada"));
    await a.join("general", member("bo"));
    await b.join("general", member("bo"));
    await a.close();
    await a.close();
    assert.deepEqual(await names(b, "general"), ["bo"]);
    assert.deepEqual(await names(b, "other"), []);
    assert.equal(await b.count("general"), 1);
  });

  test("members() drops a dead instance's users once the TTL has passed, not before", async () => {
    const ttlMs = 60_000;
    let now = Date.now();
    await using pair = await open({ ttlMs, now: () => now });
    const { a, b } = pair;
    await a.join("general", member("ada"));
    pair.killA!();
    now += ttlMs - 1;
    assert.deepEqual(await names(b, "general"), ["ada"]);
    assert.equal(await b.count("general"), 1);
    now += 2;
    assert.deepEqual(await names(b, "general"), []);
    assert.equal(await b.count("general"), 0);
    assert.deepEqual(await b.rooms(10), []);
    assert.equal(
      await b.join("general", member("ada")),
      true,
      "ada is new again",
    );
  });
}
