import type { RedisClientLike } from './client.js';

/** How to get a Redis client library, for messages (wsgate itself depends on neither). */
export const REDIS_CLIENT_INSTALL_HINT =
  'install a Redis client next to wsgate: npm install redis   (or: npm install ioredis)';

/** A client library could not be found. */
export class RedisClientMissingError extends Error {
  /** `'RedisClientMissingError'` */
  override readonly name = 'RedisClientMissingError';
}

interface NodeRedisModule {
  createClient(options: { url: string }): RedisClientLike;
}

interface IoRedisModule {
  Redis: new (url: string, options: { lazyConnect: boolean }) => RedisClientLike;
}

/**
 * A client for `url` from whichever library is installed: `redis` (node-redis v4+) first, else `ioredis`. Used by
 * `wsgate serve --redis`. Throws `RedisClientMissingError` (saying how to install one) if neither is there.
 */
export async function createRedisClientFromUrl(
  url: string,
  load: (specifier: string) => Promise<unknown> = importOptional,
): Promise<RedisClientLike> {
  if (!/^rediss?:\/\//.test(url))
    throw new TypeError(`not a Redis URL: ${JSON.stringify(url)} (expected redis://host:port or rediss://...)`);
  const nodeRedis = (await load('redis').catch(() => null)) as Partial<NodeRedisModule> | null;
  if (typeof nodeRedis?.createClient === 'function') return nodeRedis.createClient({ url });
  const ioredis = (await load('ioredis').catch(() => null)) as Partial<IoRedisModule> | null;
  if (typeof ioredis?.Redis === 'function') return new ioredis.Redis(url, { lazyConnect: true });
  throw new RedisClientMissingError(
    `--redis needs the "redis" or "ioredis" package, and neither is installed: ${REDIS_CLIENT_INSTALL_HINT}`,
  );
}

/** `import()` of a package that may be absent (a variable specifier: no compile-time dependency on its types). */
function importOptional(specifier: string): Promise<unknown> {
  return import(specifier) as Promise<unknown>;
}
