/**
 * The Redis keys of a room's history and the Lua scripts that change them
 * atomically, for `history.ts`.
 *
 * @module
 */
import { ENTRIES_ENVELOPE_CHARS } from "./envelope.ts";

/** Oldest log entries an append inspects for age-based deletion. */
const AGE_TRIM_SCAN = 100;

/**
 * Lua that reads the arguments every write script starts with (ts,
 * maxMessages, maxAgeMs) and the room's epoch (KEYS[3]), setting it to
 * ARGV[6] when the room has none; and defines `publish`, which queues a
 * stored entry for every instance, and `flush`, which sends what is queued
 * in one envelope as `envelope.ts` reads it: on channel ARGV[7] (none when
 * empty) for room ARGV[8] (JSON) from instance ARGV[9] (JSON), a new
 * envelope whenever the entries would pass ${ENTRIES_ENVELOPE_CHARS}
 * characters. Publishing in the script that stores saves the instance a
 * round trip per write, nothing stored can miss the bus, and a batch is one
 * message on the channel.
 */
const START = `
local ts = ARGV[1]
local maxMessages = tonumber(ARGV[2])
local maxAge = tonumber(ARGV[3])
local epoch = redis.call("GET", KEYS[3])
if not epoch then
  epoch = ARGV[6]
  redis.call("SET", KEYS[3], epoch)
end
local queued = {}
local queuedChars = 0
local function flush()
  if #queued == 0 then return end
  redis.call("PUBLISH", ARGV[7], '{"room":' .. ARGV[8] .. ',"from":' ..
    ARGV[9] .. ',"epoch":' .. cjson.encode(epoch) .. ',"entries":[' ..
    table.concat(queued, ",") .. ']}')
  queued = {}
  queuedChars = 0
end
local function publish(id, json, plain)
  if ARGV[7] == "" then return end
  local entry = '{"json":' .. cjson.encode(json) .. ',"plain":' .. plain ..
    ',"id":' .. id .. '}'
  if queuedChars + #entry > ${ENTRIES_ENVELOPE_CHARS} then flush() end
  queued[#queued + 1] = entry
  queuedChars = queuedChars + #entry
end
`;

/**
 * Lua that trims the message log (KEYS[2]) and the amendment log (KEYS[4])
 * after a write at time `ts`: by count below the head (KEYS[1]), then by age,
 * oldest first, reading one entry at a time: usually the oldest is young
 * enough, and reading a page of entries on every write would copy them all
 * into Lua for nothing.
 */
const TRIM = `
local head = tonumber(redis.call("GET", KEYS[1]) or "0")
for _, log in ipairs({KEYS[2], KEYS[4]}) do
  redis.call("ZREMRANGEBYSCORE", log, "-inf", head - maxMessages)
  if maxAge > 0 then
    local cutoff = tonumber(ts) - maxAge
    for _ = 1, ${AGE_TRIM_SCAN} do
      local entry = redis.call("ZRANGE", log, 0, 0)[1]
      if entry == nil then break end
      local entryTs = tonumber(string.match(entry, '"ts":(%d+)'))
      if entryTs == nil or entryTs >= cutoff then break end
      redis.call("ZREM", log, entry)
    end
    redis.call("PEXPIRE", log, maxAge)
  end
end
`;

/**
 * Numbers, stores, de-duplicates, publishes and trims a batch, and returns
 * the room's epoch with a row per draft.
 *
 * KEYS: head, log, epoch, amendments. ARGV: ts, maxMessages, maxAgeMs,
 * nonceTtlMs, nonce key prefix, a new epoch for a room without one,
 * channel, room, instance (see `START`), then per draft: the author's fields
 * (a JSON object's members without its braces), text (JSON), nonce key
 * suffix or "". The entry is assembled from pre-encoded JSON strings so Lua
 * never has to encode text itself.
 */
export const APPEND_SCRIPT = `
${START}
local out = {}
for i = 10, #ARGV, 3 do
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
    publish(id, '{"type":"message","id":' .. id .. ',"room":' .. ARGV[8] ..
      ',"ts":' .. ts .. ',' .. ARGV[i] .. ',"text":' .. ARGV[i + 1] .. '}',
      ARGV[i + 1])
    out[#out + 1] = {id, 0, entry}
  end
end
flush()
${TRIM}
return {epoch, out}
`;

/**
 * Stores an edit or a deletion of a message as the room's next entry and
 * rewrites the message's record in the same script: its new text and
 * `edited` time with the edit's id in `edits`, or a tombstone whose text and
 * every edit's text are gone; publishes the entry. Returns the epoch, then
 * `"stored"` with the id and entry, `"duplicate"` with the earlier id and
 * entry, or why it refused (`"not_found"`, `"deleted"`, `"too_many_edits"`).
 *
 * KEYS: head, log, epoch, amendments. ARGV: ts, maxMessages, maxAgeMs,
 * nonceTtlMs, nonce key or "", a new epoch for a room without one, channel,
 * room, instance (see `START`), kind ("edit" or "delete"), target id, the
 * author's fields (a JSON object's members without braces), the new text
 * (JSON) or "", maxEdits. The entry
 * is assembled from pre-encoded JSON; the message's record, decoded and
 * encoded again with cjson, holds only strings, booleans and integers below
 * 2^53 that cjson writes back exactly.
 */
export const AMEND_SCRIPT = `
${START}
local nonce = ARGV[5]
if nonce ~= "" then
  local earlier = redis.call("GET", nonce)
  if earlier then
    local found = redis.call("ZRANGE", KEYS[4], earlier, earlier, "BYSCORE")
    return {epoch, "duplicate", tonumber(earlier), found[1] or ""}
  end
end
local kind = ARGV[10]
local target = tonumber(ARGV[11])
local old = redis.call("ZRANGE", KEYS[2], target, target, "BYSCORE")[1]
if not old then return {epoch, "not_found"} end
local record = cjson.decode(old)
if type(record) ~= "table" or type(record.ts) ~= "number" or
    (maxAge > 0 and record.ts < tonumber(ts) - maxAge) then
  return {epoch, "not_found"}
end
if record.deleted then return {epoch, "deleted"} end
local edits = record.edits
if type(edits) ~= "table" then edits = {} end
if kind == "edit" and #edits >= tonumber(ARGV[14]) then
  return {epoch, "too_many_edits"}
end
local id = redis.call("INCR", KEYS[1])
local entry = '{"id":' .. id .. ',"kind":"' .. kind .. '","ts":' .. ts ..
  ',' .. ARGV[12] .. ',"target":' .. target
local event = '{"type":"' .. kind .. '","id":' .. id .. ',"room":' ..
  ARGV[8] .. ',"ts":' .. ts .. ',' .. ARGV[12] .. ',"target":' .. target
if kind == "edit" then
  entry = entry .. ',"text":' .. ARGV[13] .. '}'
  event = event .. ',"text":' .. ARGV[13] .. '}'
  record.text = cjson.decode(ARGV[13])
  record.edited = tonumber(ts)
  edits[#edits + 1] = id
  record.edits = edits
else
  entry = entry .. '}'
  event = event .. '}'
  for _, editId in ipairs(edits) do
    local edit = redis.call("ZRANGE", KEYS[4], editId, editId, "BYSCORE")[1]
    if edit then
      local scrubbed = cjson.decode(edit)
      scrubbed.text = ""
      redis.call("ZREM", KEYS[4], edit)
      redis.call("ZADD", KEYS[4], editId, cjson.encode(scrubbed))
    end
  end
  record.text = ""
  record.deleted = true
  record.edited = nil
  record.edits = nil
end
redis.call("ZREM", KEYS[2], old)
redis.call("ZADD", KEYS[2], target, cjson.encode(record))
redis.call("ZADD", KEYS[4], id, entry)
if nonce ~= "" then redis.call("SET", nonce, id, "PX", ARGV[4]) end
publish(id, event, "null")
flush()
${TRIM}
return {epoch, "stored", id, entry}
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
 * @returns Its head, message log, amendment log and epoch keys, and the
 *   prefix of its nonce keys.
 */
export function keys(room: string): {
  head: string;
  log: string;
  amendments: string;
  epoch: string;
  nonce: string;
} {
  const base = `chat:{${room}}`;
  return {
    head: `${base}:head`,
    log: `${base}:log`,
    amendments: `${base}:amend`,
    epoch: `${base}:epoch`,
    nonce: `${base}:nonce:`,
  };
}
