import type { Session } from './types.js';

/*
 * Sessions come from clients (route handlers pass on `data`, `POST /api/updateSession` passes on its JSON body, and
 * both cross the cluster and Redis as JSON). `JSON.parse` makes `"__proto__"` an own key, and `Object.assign` or a
 * plain `target[key] = value` with that key calls the `__proto__` setter: the session's prototype is replaced, so
 * `socket.session.role` reads a value `getSession()` does not show. Every session is therefore a null-prototype
 * object, filled key by key without the three names that reach prototypes.
 */

/** Keys never copied into a session: they would reach or shadow an object's prototype machinery. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A new null-prototype session holding the own enumerable string keys of `source`, minus the forbidden ones. */
export function createSession(source?: Readonly<Session>): Session {
  const session = Object.create(null) as Session;
  if (source !== undefined) mergeSession(session, source);
  return session;
}

/** Shallow-merges `patch` into `target` (own enumerable string keys only, forbidden keys skipped). */
export function mergeSession(target: Session, patch: Readonly<Session>): void {
  for (const key of Object.keys(patch)) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    // defineProperty, not assignment: no setter anywhere on the chain can run, whatever `target` is.
    Object.defineProperty(target, key, { value: patch[key], writable: true, enumerable: true, configurable: true });
  }
}
