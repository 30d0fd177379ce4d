// A Redis client for the test nodes (not a test file itself), in the test process or a child gateway process: both
// client libraries the RedisAdapter supports, reconnecting every 100 ms so fault tests recover quickly.
import { Redis as IORedis } from 'ioredis';
import { createClient } from 'redis';
import type { RedisClientLike } from '../../src/gateway/index.js';

export type ClientKind = 'node-redis' | 'ioredis';

/** A client template for `server.url` (a `RedisServer`, or a child process's REDIS_URL). */
export function redisClient(server: { readonly url: string }, kind: ClientKind): RedisClientLike {
  return kind === 'ioredis'
    ? new IORedis(server.url, { lazyConnect: true, retryStrategy: () => 100 })
    : createClient({ url: server.url, socket: { reconnectStrategy: () => 100 } });
}
