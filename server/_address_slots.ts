/**
 * The connections open per client address, for tcp_server.ts: each accepted
 * connection takes a slot of its address, refused when the address holds
 * its cap already, and gives it back when it ends (for a WebSocket, when the
 * socket does, not the request that opened it).
 *
 * @module
 */

/** Open connections counted per client address, under a cap. */
export class AddressSlots {
  #cap: number;
  #perAddress = new Map<string, number>();
  #connections = 0;

  /**
   * Counts against `cap` open connections per address.
   *
   * @param cap Open connections allowed from one address; 0 allows any number.
   */
  constructor(cap: number) {
    this.#cap = cap;
  }

  /** Connections holding a slot now, from every address. */
  get size(): number {
    return this.#connections;
  }

  /**
   * Takes a slot of `address` for a connection just accepted.
   *
   * @param address The client's IP address.
   * @returns `false`, taking nothing, when `address` holds its cap already.
   */
  take(address: string): boolean {
    const open = this.#perAddress.get(address) ?? 0;
    if (this.#cap > 0 && open >= this.#cap) return false;
    this.#perAddress.set(address, open + 1);
    this.#connections++;
    return true;
  }

  /**
   * Gives back a slot {@linkcode AddressSlots.take} took for `address`.
   *
   * @param address The client's IP address.
   */
  release(address: string): void {
    this.#connections--;
    const left = (this.#perAddress.get(address) ?? 1) - 1;
    if (left === 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, left);
  }
}
