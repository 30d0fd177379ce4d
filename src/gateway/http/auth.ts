import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks `Authorization: Bearer <key>` in constant time. Both sides are hashed to SHA-256 first so
 * `timingSafeEqual` always compares equal-length buffers and the key's length does not leak either.
 */
export function createBearerCheck(apiKey: string): (authorization: string | undefined) => boolean {
  if (apiKey === '') throw new TypeError('apiKey must not be empty');
  const expected = digest(apiKey);
  return (authorization) => {
    if (authorization === undefined) return false;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match === null) return false;
    return timingSafeEqual(digest(match[1]!), expected);
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
