/*
 * The Lua scripts behind history in Redis (key layout in history-keys.ts). Per stream, two keys:
 *
 *   h:<stream>    hash     e = epoch, t = top offset, r = run_id of the Redis server that wrote it
 *   hs:<stream>   stream   one entry per message, id `<offset>-0`, fields t (Redis time, ms), d (data), b (binary)
 *
 * Why a Redis Stream: entries are addressed by offset (`XRANGE hs <offset>-0 + COUNT n` is a range read by id),
 * `XADD ... MAXLEN n` trims by count in the same command, and `XTRIM MINID` drops the expired head; a sorted set
 * would need its member to be unique (the offset spliced into the payload) and a list can't be read from an offset
 * without knowing the head's offset. Both keys expire `ttl` ms after the last message (an idle stream is dropped).
 *
 * The epoch changes — a fresh one, passed in by the caller as ARGV and set inside the script, so two nodes racing
 * on a lost stream agree on one — whenever the history may have been lost:
 *   - the hash is missing: never written, expired, evicted, FLUSHALL/FLUSHDB, a restart without persistence;
 *   - the hash names another Redis run_id: Redis restarted (from an RDB/AOF that may be older than the last write)
 *     or a replica was promoted (replication is asynchronous): offsets written after that snapshot could be reused;
 *   - the hash says messages were written but the stream key is gone (evicted on its own).
 * Times come from Redis (`TIME`), so nodes with skewed clocks agree on what has expired.
 */

const PREAMBLE = `if redis.replicate_commands then pcall(redis.replicate_commands) end\n`;

const HISTORY_LIB = `
local META, STREAM = KEYS[1], KEYS[2]

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function offset_of(id)
  return tonumber(string.match(id, '^(%d+)'))
end

-- The stream's epoch and top offset, starting a new epoch (candidate) when its history may have been lost.
local function current(candidate, run_id, ttl)
  local v = redis.call('HMGET', META, 'e', 't', 'r')
  local top = tonumber(v[2])
  if v[1] and top and v[3] == run_id and (top == 0 or redis.call('EXISTS', STREAM) == 1) then return v[1], top end
  redis.call('DEL', STREAM)
  redis.call('HSET', META, 'e', candidate, 't', 0, 'r', run_id)
  redis.call('PEXPIRE', META, ttl)
  return candidate, 0
end

-- Drops the entries written before oldest (ms); bounded work per call.
local function expire(oldest)
  local batch = 1
  for _ = 1, 64 do
    local head = redis.call('XRANGE', STREAM, '-', '+', 'COUNT', batch)
    if #head == 0 then return end
    for i, e in ipairs(head) do
      if tonumber(e[2][2]) >= oldest then
        if i > 1 then redis.call('XTRIM', STREAM, 'MINID', e[1]) end
        return
      end
    end
    redis.call('XTRIM', STREAM, 'MINID', string.format('%d-0', offset_of(head[#head][1]) + 1))
    batch = 64
  end
end
`;

/**
 * Publishes one message of a stream, atomically: offset = top + 1 (new epoch if lost), XADD with MAXLEN, expiry,
 * then PUBLISH of the publication (header, newline, frame with the epoch and offset spliced in) to the audience's
 * channels. KEYS: meta, stream. ARGV: prefix, candidate epoch, run_id, size, ttl, data, binary ('0'|'1'), audience
 * kind ('a' all | 'g' group | 'u' uids), header JSON, frame before, middle, after, then the group, or the sender's
 * node id and the uids.
 * Returns { epoch, offset, subscribers reached }.
 */
export const HISTORY_PUBLISH_SCRIPT = `${PREAMBLE}${HISTORY_LIB}
local P, ttl = ARGV[1], tonumber(ARGV[5])
local now = now_ms()
local epoch, top = current(ARGV[2], ARGV[3], ttl)
expire(now - ttl)
top = top + 1
local offset = string.format('%d', top)
redis.call('XADD', STREAM, 'MAXLEN', ARGV[4], offset .. '-0', 't', string.format('%d', now), 'd', ARGV[6], 'b', ARGV[7])
redis.call('HSET', META, 't', top)
redis.call('PEXPIRE', META, ttl)
redis.call('PEXPIRE', STREAM, ttl)
local msg = ARGV[9] .. '\\n' .. ARGV[10] .. epoch .. ARGV[11] .. offset .. ARGV[12]
local kind, reached = ARGV[8], 0
if kind == 'a' then
  reached = redis.call('PUBLISH', P .. 'ch:all', msg)
elseif kind == 'g' then
  reached = redis.call('PUBLISH', P .. 'ch:g:' .. ARGV[13], msg)
else
  -- The sender's node always (its sockets of the uid may not be in presence yet), and the nodes holding the uids.
  local nodes = { [ARGV[13]] = true }
  for i = 14, #ARGV do
    for _, sid in ipairs(redis.call('SMEMBERS', P .. 'u:' .. ARGV[i])) do
      local node = string.match(sid, '^(.+)%.[^.]+$')
      if node then nodes[node] = true end
    end
  end
  for node in pairs(nodes) do reached = reached + redis.call('PUBLISH', P .. 'ch:n:' .. node, msg) end
end
return { epoch, top, reached }
`;

/**
 * Reads a stream. KEYS: meta, stream. ARGV: candidate epoch, run_id, ttl, since epoch ('' for none), since offset,
 * limit. Returns { epoch, top, oldest kept offset (top + 1 if none), entries } — entries empty when `since` is not
 * of this epoch or beyond top; the caller works out `complete`.
 */
export const HISTORY_READ_SCRIPT = `${PREAMBLE}${HISTORY_LIB}
local ttl = tonumber(ARGV[3])
local epoch, top = current(ARGV[1], ARGV[2], ttl)
expire(now_ms() - ttl)
local first = redis.call('XRANGE', STREAM, '-', '+', 'COUNT', 1)
local oldest = top + 1
if #first > 0 then oldest = offset_of(first[1][1]) end
local from = oldest
if ARGV[4] ~= '' then
  local since = tonumber(ARGV[5])
  if ARGV[4] ~= epoch or since > top or since < 0 then return { epoch, top, oldest, {} } end
  from = math.max(since + 1, oldest)
end
local limit = tonumber(ARGV[6])
local entries = {}
if limit > 0 and from <= top then
  entries = redis.call('XRANGE', STREAM, string.format('%d-0', from), '+', 'COUNT', limit)
end
return { epoch, top, oldest, entries }
`;

/** Take-and-delete of a recovery record (GETDEL, for Redis before 6.2 too). KEYS: the record. */
export const TAKE_RECOVERY_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
return v
`;
