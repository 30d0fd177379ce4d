import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { findCycles, importGraph } from '../scripts/import-cycles.js';

const root = resolve(import.meta.dirname, '..');

it('has no import cycles in src, type-only imports included (npm run check:cycles)', () => {
  expect(findCycles(importGraph(root, ['src']))).toEqual([]);
});

it('finds a cycle when there is one', () => {
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['a.ts']],
  ]);
  expect(findCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
});
