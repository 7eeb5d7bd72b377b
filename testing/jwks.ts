/**
 * A JSON Web Key Set served on a free loopback port, whose keys a test can
 * rotate, counting the fetches it answers.
 *
 * @module
 */
import type { JWK } from "jose";

/** A running JWKS endpoint; dispose it to stop it. */
export interface JwksServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT/.well-known/jwks.json` */
  url: string;
  /** Fetches answered so far. */
  readonly fetches: number;
  /** Replaces the keys served from the next fetch on. */
  setKeys(keys: JWK[]): void;
}

/**
 * Serves `keys` as a JWKS until disposed.
 *
 * @param keys The public keys, each with its `kid` and `alg`.
 * @returns The running server.
 */
export function serveJwks(keys: JWK[]): JwksServer {
  let served = keys;
  let fetches = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => {
      fetches++;
      return Response.json({ keys: served });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/.well-known/jwks.json`,
    get fetches() {
      return fetches;
    },
    setKeys(keys) {
      served = keys;
    },
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
