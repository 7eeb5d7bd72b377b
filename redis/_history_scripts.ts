/**
 * The Redis keys of a room's history and the Lua scripts that change them
 * atomically, for `history.ts`.
 *
 * @module
 */

/** Oldest log entries an append inspects for age-based deletion. */
const AGE_TRIM_SCAN = 100;

/**
 * Numbers, stores, de-duplicates and trims a batch, and returns the room's
 * epoch with a row per draft.
 *
 * KEYS: head, log, epoch. ARGV: ts, maxMessages, maxAgeMs, nonceTtlMs, nonce
 * key prefix, a new epoch for a room without one, then per draft: the
 * author's fields (a JSON object's members without its braces), text
 * (JSON), nonce key suffix or "". The entry is assembled from
 * pre-encoded JSON strings so Lua never has to encode text itself.
 */
export const APPEND_SCRIPT = `
local ts = ARGV[1]
local maxMessages = tonumber(ARGV[2])
local maxAge = tonumber(ARGV[3])
local epoch = redis.call("GET", KEYS[3])
if not epoch then
  epoch = ARGV[6]
  redis.call("SET", KEYS[3], epoch)
end
local out = {}
for i = 7, #ARGV, 3 do
  local nonce = ARGV[i + 2]
  local earlier = false
  if nonce ~= "" then earlier = redis.call("GET", ARGV[5] .. nonce) end
  if earlier then
    local found = redis.call("ZRANGE", KEYS[2], earlier, earlier, "BYSCORE")
    out[#out + 1] = {tonumber(earlier), 1, found[1] or ""}
  else
    local id = redis.call("INCR", KEYS[1])
    local entry = '{"id":' .. id .. ',"ts":' .. ts .. ',' .. ARGV[i] ..
      ',"text":' .. ARGV[i + 1] .. '}'
    redis.call("ZADD", KEYS[2], id, entry)
    if nonce ~= "" then
      redis.call("SET", ARGV[5] .. nonce, id, "PX", ARGV[4])
    end
    out[#out + 1] = {id, 0, entry}
  end
end
local head = tonumber(redis.call("GET", KEYS[1]) or "0")
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", head - maxMessages)
if maxAge > 0 then
  local cutoff = tonumber(ts) - maxAge
  for _, entry in ipairs(redis.call("ZRANGE", KEYS[2], 0, ${
  AGE_TRIM_SCAN - 1
})) do
    local entryTs = tonumber(string.match(entry, '"ts":(%d+)'))
    if entryTs == nil or entryTs >= cutoff then break end
    redis.call("ZREM", KEYS[2], entry)
  end
  redis.call("PEXPIRE", KEYS[2], maxAge)
end
return {epoch, out}
`;

/**
 * Returns the room's epoch and head. A room without an epoch gets the new
 * one, and so does one whose head is below what was seen of it in the same
 * epoch: ids went backwards.
 *
 * KEYS: head, epoch. ARGV: a new epoch, the epoch and head seen ("" and 0
 * for none).
 */
export const POSITION_SCRIPT = `
local head = tonumber(redis.call("GET", KEYS[1]) or "0")
local epoch = redis.call("GET", KEYS[2])
if not epoch or (epoch == ARGV[2] and head < tonumber(ARGV[3])) then
  epoch = ARGV[1]
  redis.call("SET", KEYS[2], epoch)
end
return {epoch, head}
`;

/** The keys of one room, as {@linkcode keys} names them. */
export type RoomKeys = ReturnType<typeof keys>;

/**
 * The keys of one room; the `{room}` hash tag keeps them on one cluster slot.
 *
 * @param room The room.
 * @returns Its head, log and epoch keys, and the prefix of its nonce keys.
 */
export function keys(room: string): {
  head: string;
  log: string;
  epoch: string;
  nonce: string;
} {
  const base = `chat:{${room}}`;
  return {
    head: `${base}:head`,
    log: `${base}:log`,
    epoch: `${base}:epoch`,
    nonce: `${base}:nonce:`,
  };
}
