import { isValidWireCloseCode, MAX_CLOSE_REASON_BYTES } from '../protocol/index.js';
import { ErrorCode, GatewayError } from './errors.js';
import type { NameLike, Session } from './types.js';

/** Longest uid or group name accepted. */
export const MAX_NAME_LENGTH = 256;

/**
 * Arguments of gateway methods often come straight from clients (route handlers, the HTTP API), so bad ones are
 * `GatewayError('invalid_argument')`: a route handler that passes one on answers the client with a clear error.
 */
export function toName(kind: 'uid' | 'group', value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_LENGTH) return value;
  throw new GatewayError(
    ErrorCode.InvalidArgument,
    `${kind} must be a non-empty string of at most ${MAX_NAME_LENGTH} characters, or a number`,
  );
}

/** One name or a list of names (sendToUid / sendToGroup). */
export function toNames(kind: 'uid' | 'group', value: NameLike | readonly NameLike[]): string[] {
  return Array.isArray(value) ? value.map((v: unknown) => toName(kind, v)) : [toName(kind, value)];
}

export function toSession(value: unknown): Session {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError(ErrorCode.InvalidArgument, 'session must be a JSON object');
  }
  return value as Session;
}

export function toCloseCode(code: number, reason: string): void {
  if (!Number.isInteger(code) || !isValidWireCloseCode(code)) {
    throw new GatewayError(ErrorCode.InvalidArgument, `close code ${code} may not be sent (use 1000-1003, 1007-1014 or 3000-4999)`);
  }
  if (Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) {
    throw new GatewayError(ErrorCode.InvalidArgument, `close reason is over ${MAX_CLOSE_REASON_BYTES} bytes`);
  }
}

/** Socket ids: strings; anything else simply names no socket. */
export function isSocketIdLike(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
