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

/**
 * True when `value` nests objects/arrays more than `maxDepth` levels deep (the session itself is level 1), as
 * `JSON.stringify` would walk it. Walked with an explicit stack, so measuring can't overflow. An object reached again
 * is walked again only from a deeper level than before (at most `maxDepth` times), so shared references stay cheap
 * and a cycle, which only ever gets deeper, ends as "too deep".
 */
export function nestingExceeds(value: unknown, maxDepth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const deepest = new Map<object, number>();
  const stack: [object, number][] = [[value, 1]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, depth] = top;
    if (depth > maxDepth) return true;
    if ((deepest.get(node) ?? 0) >= depth) continue;
    deepest.set(node, depth);
    for (const child of Object.values(node)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
