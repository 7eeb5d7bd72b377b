/**
 * The C library calls that tear a TCP socket down under Deno's feet, for
 * the teardown worker (`_teardown_worker.ts`). Linux only.
 *
 * Deno gives no way to a socket's descriptor, so the socket is found by
 * walking the process's descriptors with `getpeername()` and
 * `getsockname()` until its two ends match; `/proc/self/fd`, which would
 * list them, is open to `--allow-all` only. The walk stops once every
 * socket asked for is found: descriptors are handed out lowest first, so
 * it rarely goes far (measured: 20,000 descriptors, the whole table here,
 * in about 10 ms).
 *
 * A descriptor found is duplicated first and the copy checked again, so
 * that a descriptor Deno closed and reused meanwhile is never touched:
 * the copy holds the socket it names. `SO_LINGER` 0 makes the last close
 * reset the connection and drop what is queued for the peer, and
 * `shutdown()` wakes Deno's reads and writes on it, so Deno ends the
 * socket (and fires `close`) itself. Deno's own descriptor is never
 * closed here.
 *
 * @module
 */
import type { SocketEnds, TeardownResult } from "./socket_teardown.ts";

const SOL_SOCKET = 1;
const SO_LINGER = 13;
const SHUT_RDWR = 2;
const RLIMIT_NOFILE = 7;
const AF_INET = 2;
const AF_INET6 = 10;
/** `sizeof(struct sockaddr_storage)`. */
const SOCKADDR_BYTES = 128;

const SYMBOLS = {
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  dup: { parameters: ["i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** A host and port, with the host in one spelling per address. */
interface End {
  hostname: string;
  port: number;
}

/** What one walk found for one socket asked for. */
interface Wanted {
  index: number;
  remote: End;
  local: End | undefined;
}

/** How one batch went: each socket's result, and the walk's extent. */
export interface WalkReport {
  /** One per socket asked for, in order. */
  results: TeardownResult[];
  /** Descriptors looked at. */
  descriptors: number;
}

/**
 * The one spelling of an IP address both sides are compared in: IPv6 as
 * the URL standard writes it, and an IPv4-mapped IPv6 address as IPv4.
 */
export function canonicalHost(hostname: string): string {
  if (!hostname.includes(":")) return hostname;
  const bare = hostname.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const host = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const mapped = host.match(/^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/);
  if (!mapped) return host;
  const high = parseInt(mapped[1]!, 16);
  const low = parseInt(mapped[2]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

/** The libc calls, opened once per worker. */
export class SocketCalls implements Disposable {
  readonly #lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  readonly #address = new Uint8Array(SOCKADDR_BYTES);
  readonly #view = new DataView(this.#address.buffer);
  readonly #length = new Uint32Array(1);
  readonly #lengthBytes = new Uint8Array(this.#length.buffer);

  /**
   * Opens the C library.
   *
   * @throws {TypeError} Off Linux.
   * @throws {Deno.errors.NotCapable} Without `--allow-ffi`.
   */
  constructor() {
    if (Deno.build.os !== "linux") {
      throw new TypeError(
        `Cannot tear sockets down on "${Deno.build.os}": Linux only`,
      );
    }
    this.#lib = Deno.dlopen("libc.so.6", SYMBOLS);
  }

  /**
   * Tears down the sockets whose ends match `targets`, walking descriptors
   * until each is found or none is left.
   *
   * @param targets The sockets' ends.
   * @returns What became of each, and how many descriptors were looked at.
   */
  tearDown(targets: readonly SocketEnds[]): WalkReport {
    const results: TeardownResult[] = targets.map(() => ({
      outcome: "not_found",
    }));
    const byPort = new Map<number, Wanted[]>();
    targets.forEach((target, index) => {
      const wanted = {
        index,
        remote: canonical(target.remote),
        local: target.local && canonical(target.local),
      };
      byPort.set(wanted.remote.port, [
        ...byPort.get(wanted.remote.port) ?? [],
        wanted,
      ]);
    });
    let left = targets.length;
    const limit = this.#descriptorLimit();
    let fd = 0;
    for (; fd < limit && left > 0; fd++) {
      const candidates = byPort.get(this.#port(fd, "getpeername") ?? -1);
      if (!candidates) continue;
      const found = candidates.find((wanted) => this.#matches(fd, wanted));
      if (!found) continue;
      results[found.index] = this.#tearDownDuplicate(fd, found);
      candidates.splice(candidates.indexOf(found), 1);
      left--;
    }
    return { results, descriptors: fd };
  }

  /** Closes the library. */
  [Symbol.dispose](): void {
    this.#lib.close();
  }

  #tearDownDuplicate(fd: number, wanted: Wanted): TeardownResult {
    const calls = this.#lib.symbols;
    const copy = calls.dup(fd);
    if (copy < 0) return { outcome: "failed", error: this.#errno("dup") };
    try {
      // The descriptor may have been closed and reused since it matched.
      if (!this.#matches(copy, wanted)) return { outcome: "not_found" };
      const linger = new Uint8Array(new Int32Array([1, 0]).buffer);
      if (calls.setsockopt(copy, SOL_SOCKET, SO_LINGER, linger, 8) !== 0) {
        return { outcome: "failed", error: this.#errno("setsockopt") };
      }
      if (calls.shutdown(copy, SHUT_RDWR) !== 0) {
        return { outcome: "failed", error: this.#errno("shutdown") };
      }
      return { outcome: "torn_down" };
    } finally {
      calls.close(copy);
    }
  }

  #matches(fd: number, wanted: Wanted): boolean {
    const remote = this.#end(fd, "getpeername");
    if (!remote || !sameEnd(remote, wanted.remote)) return false;
    if (!wanted.local) return true;
    const local = this.#end(fd, "getsockname");
    return local !== undefined && sameEnd(local, wanted.local);
  }

  /** The port of one end of `fd`, without formatting its address. */
  #port(fd: number, call: "getpeername" | "getsockname"): number | undefined {
    this.#length[0] = SOCKADDR_BYTES;
    const symbols = this.#lib.symbols;
    if (symbols[call](fd, this.#address, this.#lengthBytes) !== 0) return;
    const family = this.#view.getUint16(0, true);
    if (family !== AF_INET && family !== AF_INET6) return;
    return this.#view.getUint16(2);
  }

  #end(fd: number, call: "getpeername" | "getsockname"): End | undefined {
    const port = this.#port(fd, call);
    if (port === undefined) return;
    const bytes = this.#address;
    if (this.#view.getUint16(0, true) === AF_INET) {
      return { hostname: bytes.subarray(4, 8).join("."), port };
    }
    const groups = Array.from(
      { length: 8 },
      (_, i) => this.#view.getUint16(8 + 2 * i).toString(16),
    );
    return { hostname: canonicalHost(groups.join(":")), port };
  }

  #descriptorLimit(): number {
    const limit = new BigUint64Array(2);
    this.#lib.symbols.getrlimit(
      RLIMIT_NOFILE,
      new Uint8Array(limit.buffer),
    );
    // An unlimited table is bounded by the kernel's own maximum (nr_open).
    return Number(limit[0]! > 1n << 20n ? 1n << 20n : limit[0]!);
  }

  #errno(call: string): string {
    const pointer = this.#lib.symbols.__errno_location();
    const errno = pointer ? new Deno.UnsafePointerView(pointer).getInt32() : 0;
    return `${call}: errno ${errno}`;
  }
}

function canonical(end: End): End {
  return { hostname: canonicalHost(end.hostname), port: end.port };
}

/** Whether `found` is `wanted`; a wanted host of 0.0.0.0 or :: is any. */
function sameEnd(found: End, wanted: End): boolean {
  return found.port === wanted.port &&
    (wanted.hostname === "0.0.0.0" || wanted.hostname === "::" ||
      found.hostname === wanted.hostname);
}
