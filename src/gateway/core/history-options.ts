import type { HistoryLimits } from '../adapters/history.js';

/** `createGateway({ history })`: keep the last messages of every stream (group, uid, sendToAll). Off by default. */
export interface HistoryOptions {
  /** Messages kept per stream (positive integer). */
  size: number;
  /** Messages older than this many ms are dropped (positive). */
  ttl: number;
  /**
   * Streams kept at once (memory and cluster adapters); past it the least recently written goes (its next message
   * starts a new epoch). Redis bounds streams by key expiry instead.
   *
   * @defaultValue `10_000` (`DEFAULT_MAX_STREAMS`)
   */
  maxStreams?: number;
}

/** `createGateway({ recovery })`: a client that comes back within `window` ms gets its identity and messages back. */
export interface RecoveryOptions {
  /** How long after a socket closes its recovery token stays usable, in ms (e.g. 120,000). */
  window: number;
  /**
   * HMAC key that signs recovery tokens, at least 16 bytes. Give every node the same one so a client can recover
   * on another node.
   *
   * @defaultValue random per process (tokens then only work on the node that issued them)
   */
  secret?: string | Uint8Array;
}

export const DEFAULT_MAX_STREAMS = 10_000;

export function resolveHistory(options: HistoryOptions | false | undefined): HistoryLimits | null {
  if (options === undefined || options === false) return null;
  return {
    size: positiveInteger('history.size', options.size),
    ttl: positiveNumber('history.ttl', options.ttl),
    maxStreams: positiveInteger('history.maxStreams', options.maxStreams ?? DEFAULT_MAX_STREAMS),
  };
}

export interface ResolvedRecovery {
  readonly window: number;
  readonly secret: Uint8Array | null;
}

export function resolveRecovery(options: RecoveryOptions | false | undefined): ResolvedRecovery | null {
  if (options === undefined || options === false) return null;
  const window = positiveNumber('recovery.window', options.window);
  const secret = options.secret === undefined ? null : new Uint8Array(Buffer.from(options.secret));
  if (secret !== null && secret.byteLength < 16) throw new TypeError('recovery.secret must be at least 16 bytes');
  return { window, secret };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new TypeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function positiveNumber(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number, got ${value}`);
  return value;
}
