import { createHash } from 'node:crypto';
import type { RedisArgument, RedisLink } from './client.js';

/*
 * The Lua scripts behind the Redis presence (key layout in redis-keys.ts). Scripts make each change atomic across
 * keys, so two nodes racing to bind, unbind, join or leave for the same uid or group can't leave counts behind, and
 * they are idempotent: re-applying a node's whole presence after an outage is the same script as the first write.
 *
 * Each script gets the `nodes` key as KEYS[1] (it routes the call in Redis Cluster; every key shares its hash tag)
 * and the key prefix as ARGV[1]; the other key names are built inside. Times come from Redis's clock (`TIME`), so
 * nodes on machines with skewed clocks still agree on who is expired.
 */

/** Helpers shared by the presence script and the reaper: one socket's presence, kept consistent in every index. */
const PRESENCE_LIB = `
local P = ARGV[1]
local SOCKETS = P .. 'sockets'
local UIDS = P .. 'uids'
local GROUPS = P .. 'groups'

local function decr(hash, field)
  if redis.call('HINCRBY', hash, field, -1) <= 0 then redis.call('HDEL', hash, field) end
end

local function drop_uid(sid, uid)
  local ukey = P .. 'u:' .. uid
  redis.call('SREM', ukey, sid)
  if redis.call('EXISTS', ukey) == 0 then redis.call('SREM', UIDS, uid) end
  for _, g in ipairs(redis.call('SMEMBERS', P .. 'sg:' .. sid)) do decr(P .. 'gu:' .. g, uid) end
  redis.call('HSET', SOCKETS, sid, '')
end

local function connect(node, sid)
  if redis.call('HSETNX', SOCKETS, sid, '') == 1 then redis.call('SADD', P .. 'n:' .. node, sid) end
end

local function bind(node, sid, uid)
  connect(node, sid)
  local cur = redis.call('HGET', SOCKETS, sid)
  if cur == uid then return end
  if cur ~= '' then drop_uid(sid, cur) end
  redis.call('SADD', P .. 'u:' .. uid, sid)
  redis.call('SADD', UIDS, uid)
  for _, g in ipairs(redis.call('SMEMBERS', P .. 'sg:' .. sid)) do redis.call('HINCRBY', P .. 'gu:' .. g, uid, 1) end
  redis.call('HSET', SOCKETS, sid, uid)
end

local function unbind(sid, uid)
  if redis.call('HGET', SOCKETS, sid) == uid and uid ~= '' then drop_uid(sid, uid) end
end

local function join(node, sid, g)
  connect(node, sid)
  if redis.call('SADD', P .. 'sg:' .. sid, g) == 0 then return end
  redis.call('SADD', P .. 'g:' .. g, sid)
  redis.call('SADD', GROUPS, g)
  local uid = redis.call('HGET', SOCKETS, sid)
  if uid ~= '' then redis.call('HINCRBY', P .. 'gu:' .. g, uid, 1) end
end

local function leave(sid, g)
  if redis.call('SREM', P .. 'sg:' .. sid, g) == 0 then return end
  local gkey = P .. 'g:' .. g
  redis.call('SREM', gkey, sid)
  if redis.call('EXISTS', gkey) == 0 then redis.call('SREM', GROUPS, g) end
  local uid = redis.call('HGET', SOCKETS, sid)
  if uid and uid ~= '' then decr(P .. 'gu:' .. g, uid) end
end

local function disconnect(node, sid)
  local uid = redis.call('HGET', SOCKETS, sid)
  if uid then
    for _, g in ipairs(redis.call('SMEMBERS', P .. 'sg:' .. sid)) do leave(sid, g) end
    if uid ~= '' then drop_uid(sid, uid) end
    redis.call('HDEL', SOCKETS, sid)
  end
  redis.call('SREM', P .. 'n:' .. node, sid)
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** Enables effects replication where it is not the default (Redis < 5), since the scripts call TIME before writing. */
const PREAMBLE = `if redis.replicate_commands then pcall(redis.replicate_commands) end\n`;

/**
 * Applies a batch of presence changes of node ARGV[2], in order. ARGV[3..]: triples (op, socketId, arg) with op
 * c = connect, d = disconnect, b = bind uid, u = unbind uid, j = join group, l = leave group, and
 * R = reset: forget every socket of the node (the first op of a full re-registration).
 */
export const PRESENCE_SCRIPT = `${PREAMBLE}${PRESENCE_LIB}
local node = ARGV[2]
for i = 3, #ARGV, 3 do
  local op, sid, arg = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if op == 'c' then connect(node, sid)
  elseif op == 'd' then disconnect(node, sid)
  elseif op == 'b' then bind(node, sid, arg)
  elseif op == 'u' then unbind(sid, arg)
  elseif op == 'j' then join(node, sid, arg)
  elseif op == 'l' then leave(sid, arg)
  elseif op == 'R' then
    local nkey = P .. 'n:' .. node
    for _, s in ipairs(redis.call('SMEMBERS', nkey)) do disconnect(node, s) end
    redis.call('DEL', nkey)
  else
    return redis.error_reply('wsgate: unknown presence op ' .. tostring(op))
  end
end
return #ARGV
`;

/**
 * Node heartbeat: sets node ARGV[2]'s expiry to now + ARGV[3] ms. Returns 1 if the node was alive until now, 0 if it
 * was unknown or already expired (then others may have reaped its presence: it must register it again).
 */
export const HEARTBEAT_SCRIPT = `${PREAMBLE}
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local prev = redis.call('ZSCORE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
if prev and tonumber(prev) > now then return 1 end
return 0
`;

/**
 * Reaper: takes one node whose heartbeat expired and removes up to ARGV[2] of its sockets from presence; once none
 * is left the node itself is forgotten. Returns false when no node is expired, else {node, removed, remaining}.
 * A node that comes back mid-way has a fresh expiry and is no longer picked.
 */
export const REAP_SCRIPT = `${PREAMBLE}${PRESENCE_LIB}
local now = now_ms()
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now, 'LIMIT', 0, 1)
if #dead == 0 then return false end
local node = dead[1]
local nkey = P .. 'n:' .. node
local sids = redis.call('SPOP', nkey, tonumber(ARGV[2]))
for _, sid in ipairs(sids) do disconnect(node, sid) end
local remaining = redis.call('SCARD', nkey)
if remaining == 0 then redis.call('ZREM', KEYS[1], node) end
return { node, #sids, remaining }
`;

/**
 * Routes a message by uid without asking every node: publishes ARGV[3] to the channel of each node (other than
 * ARGV[2], the sender) that holds a socket of one of the uids ARGV[4..]. Returns how many subscribers received it.
 */
export const ROUTE_UIDS_SCRIPT = `
local P = ARGV[1]
local origin = ARGV[2]
local targets = {}
for i = 4, #ARGV do
  for _, sid in ipairs(redis.call('SMEMBERS', P .. 'u:' .. ARGV[i])) do
    local node = string.match(sid, '^(.+)%.[^.]+$')
    if node and node ~= origin then targets[node] = true end
  end
end
local received = 0
for node in pairs(targets) do received = received + redis.call('PUBLISH', P .. 'ch:n:' .. node, ARGV[3]) end
return received
`;

/** A Lua script run by SHA, loaded on demand (NOSCRIPT → EVAL, which also caches it). */
export class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** `SCRIPT LOAD` (issue it before a batch of `run`s on a fresh server). */
  load(link: RedisLink): Promise<unknown> {
    return link.command(['SCRIPT', 'LOAD', this.source]);
  }

  async run(link: RedisLink, keys: readonly RedisArgument[], args: readonly RedisArgument[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await link.command(['EVALSHA', this.sha, ...tail]);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return link.command(['EVAL', this.source, ...tail]);
    }
  }
}

export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
