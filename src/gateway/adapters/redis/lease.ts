import type { RedisLink } from './client.js';
import type { RedisKeys } from './keys.js';
import { LuaScript } from './scripts.js';

/*
 * Leader leases in Redis: key `<prefix>lease:<name>` holds the holder's node id, with a TTL (PX). Taking a free
 * lease is `SET NX PX`; renewing and releasing compare the holder first, in a script, so that a node whose lease
 * expired and was taken by another can't renew or delete the new holder's. Expiry runs on Redis's clock.
 */

/** Renews the lease KEYS[1] for ARGV[2] ms if node ARGV[1] holds it: 1, else 0. */
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** Node ARGV[1] gives KEYS[1] up: it expires in ARGV[2] ms (deleted at 0) if that is sooner. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local after = tonumber(ARGV[2])
if after <= 0 then redis.call('DEL', KEYS[1]) return 1 end
local left = redis.call('PTTL', KEYS[1])
if left < 0 or after < left then redis.call('PEXPIRE', KEYS[1], after) end
return 1
`;

export class RedisLeases {
  private readonly renew = new LuaScript(RENEW_SCRIPT);
  private readonly release = new LuaScript(RELEASE_SCRIPT);

  constructor(
    private readonly keys: RedisKeys,
    private readonly nodeId: () => string,
  ) {}

  key(name: string): string {
    return `${this.keys.prefix}lease:${name}`;
  }

  /** Renews the lease if we hold it, else takes it if it is free. */
  async lease(link: RedisLink, name: string, ttl: number): Promise<boolean> {
    const key = this.key(name);
    const node = this.nodeId();
    if (Number(await this.renew.run(link, [key], [node, String(ttl)])) === 1) return true;
    const set = await link.command(['SET', key, node, 'NX', 'PX', String(ttl)]);
    return set !== null && String(set) === 'OK';
  }

  async releaseLease(link: RedisLink, name: string, after: number): Promise<void> {
    await this.release.run(link, [this.key(name)], [this.nodeId(), String(Math.max(0, Math.round(after)))]);
  }
}
