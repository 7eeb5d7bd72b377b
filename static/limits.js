// The server's limits as its `hello` states them, and until it has, the
// server's defaults, so the page never waits on them.

/** The server's defaults: bytes, seconds, members and milliseconds. */
const DEFAULT_LIMITS = {
  maxMessageBytes: 4096,
  editWindow: 900,
  largeRoom: 200,
  typingInterval: 2000,
};

/**
 * One of the server's limits, or its default until the server has said.
 * @param {{ limits?: Partial<typeof DEFAULT_LIMITS> }} client
 * @param {keyof typeof DEFAULT_LIMITS} name
 * @returns {number}
 */
export function limitOf(client, name) {
  return client.limits?.[name] ?? DEFAULT_LIMITS[name];
}
