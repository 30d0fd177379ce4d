import { isValidWireCloseCode, MAX_CLOSE_REASON_BYTES } from '../../protocol/index.js';
import { ErrorCode, GatewayError } from './errors.js';
import { createSession, nestingExceeds } from './session.js';
import type { NameLike, Session } from './types.js';

/** Longest uid or group name accepted. */
export const MAX_NAME_LENGTH = 256;

/**
 * Arguments of gateway methods often come straight from clients (route handlers, the HTTP API), so bad ones are
 * `GatewayError('invalid_argument')`: a route handler that passes one on answers the client with a clear error.
 */
export function toName(kind: 'uid' | 'group', value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  // Names must be well-formed UTF-16: a lone surrogate has no UTF-8 encoding, so Redis keys and channels (and any
  // UTF-8 transport) would turn it into U+FFFD and merge "\ud800room" with "\ufffdroom". Refused in every mode alike.
  if (typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_LENGTH && isWellFormed(value))
    return value;
  throw new GatewayError(
    ErrorCode.InvalidArgument,
    `${kind} must be a non-empty string of at most ${MAX_NAME_LENGTH} characters without lone surrogates, or a number`,
  );
}

// ES2024 `String.prototype.isWellFormed` (Node >= 20, our minimum); the compiler's lib is ES2022.
const wellFormed = (String.prototype as unknown as { isWellFormed: (this: string) => boolean }).isWellFormed;

/** True when `value` has no lone surrogate (it round-trips through UTF-8 unchanged). */
export function isWellFormed(value: string): boolean {
  return wellFormed.call(value);
}

/** One name or a list of names (sendToUid / sendToGroup). */
export function toNames(kind: 'uid' | 'group', value: NameLike | readonly NameLike[]): string[] {
  return Array.isArray(value) ? value.map((v: unknown) => toName(kind, v)) : [toName(kind, value)];
}

/**
 * Deepest nesting of a session (or session patch), the session object being level 1. Sessions cross the cluster and
 * Redis as JSON, and `JSON.stringify` recurses: a client-supplied 100,000-deep value stored by a route would overflow
 * the stack on the node that later answers a `sessions()` or `getSession` from another node.
 */
export const MAX_SESSION_DEPTH = 64;

/**
 * A session argument as a clean copy (null prototype, no `__proto__`/`constructor`/`prototype` keys; see session.ts),
 * nested at most `MAX_SESSION_DEPTH` levels.
 */
export function toSession(value: unknown): Session {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError(ErrorCode.InvalidArgument, 'session must be a JSON object');
  }
  if (nestingExceeds(value, MAX_SESSION_DEPTH)) {
    throw new GatewayError(
      ErrorCode.InvalidArgument,
      `session must not nest objects/arrays more than ${MAX_SESSION_DEPTH} levels deep`,
    );
  }
  return createSession(value as Session);
}

export function toCloseCode(code: number, reason: string): void {
  if (!Number.isInteger(code) || !isValidWireCloseCode(code)) {
    throw new GatewayError(
      ErrorCode.InvalidArgument,
      `close code ${code} may not be sent (use 1000-1003, 1007-1014 or 3000-4999)`,
    );
  }
  if (Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) {
    throw new GatewayError(ErrorCode.InvalidArgument, `close reason is over ${MAX_CLOSE_REASON_BYTES} bytes`);
  }
}

/** Socket ids: strings; anything else simply names no socket. */
export function isSocketIdLike(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
