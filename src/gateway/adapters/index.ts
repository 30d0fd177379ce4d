/** Scale-out adapters over external engines (see docs/scale-out.md). */
export { RedisAdapter, DEFAULT_REDIS_ADAPTER_OPTIONS } from './redis-adapter.js';
export type { RedisAdapterOptions } from './redis-adapter.js';
export { AdapterUnavailableError } from './errors.js';
export type { AdapterEvents, AdapterEventName } from './adapter-events.js';
export { redisClientKind } from './redis-client.js';
export type { RedisClientLike, NodeRedisClientLike, IoRedisClientLike, RedisArgument } from './redis-client.js';
export { RedisKeys } from './redis-keys.js';
export { createRedisClientFromUrl, RedisClientMissingError, REDIS_CLIENT_INSTALL_HINT } from './load-redis.js';
