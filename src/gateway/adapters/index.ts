/** Scale-out adapters (see docs/scale-out.md): memory (one node), node:cluster and Redis. */
export { MemoryAdapter } from './memory/memory-adapter.js';
export * from './cluster/index.js';
export { RedisAdapter, DEFAULT_REDIS_ADAPTER_OPTIONS } from './redis/redis-adapter.js';
export type { RedisAdapterOptions } from './redis/redis-adapter.js';
export { AdapterUnavailableError } from './errors.js';
export type { AdapterEvents, AdapterEventName } from './emitter.js';
export { redisClientKind } from './redis/client.js';
export type { RedisClientLike, NodeRedisClientLike, IoRedisClientLike, RedisArgument } from './redis/client.js';
export { RedisKeys } from './redis/keys.js';
export { createRedisClientFromUrl, RedisClientMissingError, REDIS_CLIENT_INSTALL_HINT } from './redis/load-redis.js';
// Writing an adapter over another transport: extend the base, carry wire.ts messages (see docs/scale-out.md).
export { ScaleOutAdapter } from './base.js';
export type { Target, ScaleOutOptions } from './base.js';
export type { Reach } from './requests.js';
export { encodeBytes, decodeBytes, encodeJson, decodeJson } from './wire.js';
export type { NodeMessage, NodeRequest, NodeReplies, JsonMessage } from './wire.js';
export { Health as RedisHealth } from './redis/health.js';
export {
  ALL_STREAM,
  streamOfGroup,
  streamOfUid,
  audienceOfStream,
  newEpoch,
  publicationFrame,
  publicationParts,
} from './history.js';
export type {
  AdapterHistory,
  HistoryEntry,
  HistoryLimits,
  HistoryPage,
  HistoryQuery,
  Publication,
  RecoveryRecord,
  StreamName,
  StreamPosition,
} from './history.js';
