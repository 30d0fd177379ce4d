/**
 * The public surface is a reviewed decision: this fails when an entry point's exports change without
 * `npm run api:update` (and the diff of api/*.api.md in the same commit), and when one name means two things across
 * entry points. python-websockets' tests/test_exports.py is the model.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectExports, ENTRY_POINTS, staleReports } from '../scripts/api-report.js';

const root = resolve(import.meta.dirname, '..');

describe('public API', () => {
  const all = collectExports(root);

  it('matches the checked-in reports (npm run api:update to accept a change)', () => {
    const stale = staleReports(root);
    for (const s of stale)
      expect(s.actual, `${s.path} is out of date: run npm run api:update and review the diff`).toBe(s.expected);
    expect(stale.map((s) => s.path)).toEqual([]);
  });

  it('gives each exported name one meaning across entry points', () => {
    // The browser client's CloseEvent is the WHATWG one, as the server layer's: one meaning, two runtimes.
    const sameMeaning = new Set(['CloseEvent']);
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const [entry, exports] of all) {
      for (const e of exports) {
        const where = `${e.from} (${e.kind})`;
        const before = seen.get(e.name);
        if (before !== undefined && before !== where && !sameMeaning.has(e.name))
          clashes.push(`${e.name}: ${before} vs ${where} in ${entry}`);
        seen.set(e.name, where);
      }
    }
    expect(clashes).toEqual([]);
  });

  it('keeps internals out of the root entry', () => {
    const root = new Set(all.get('wsgate')!.map((e) => e.name));
    for (const internal of [
      'LocalNode',
      'PresenceIndex',
      'RedisKeys',
      'SocketIdAllocator',
      'installDemoRoutes',
      'parseEnvelope',
      'Router',
    ]) {
      expect(root.has(internal), internal).toBe(false);
    }
    expect(ENTRY_POINTS.map((e) => e.name)).toEqual(['wsgate', 'wsgate/gateway', 'wsgate/protocol', 'wsgate/client']);
  });
});
