// The cluster primary's PresenceIndex against a naive model: random change sequences from several nodes (and node
// deaths) must leave every query answering what a plain socket → {node, uid, groups} map says.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PresenceChange } from '../../../../src/gateway/index.js';
import { PresenceIndex } from '../../../../src/gateway/adapters/cluster/presence-index.js';

type Step = { node: string; change: PresenceChange } | { drop: string };

const nodes = ['A', 'B', 'C'];
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .record({
        node: fc.constantFrom(...nodes),
        n: fc.integer({ min: 1, max: 4 }),
        kind: fc.constantFrom('connect', 'disconnect', 'bind', 'unbind', 'join', 'leave'),
        uid: fc.constantFrom('u', 'v', 'w'),
        group: fc.constantFrom('g', 'h'),
      })
      .map(({ node, n, kind, uid, group }): Step => {
        const socketId = `${node}.${n}`;
        switch (kind) {
          case 'connect':
            return { node, change: { type: 'connect', socketId } };
          case 'disconnect':
            return { node, change: { type: 'disconnect', socketId, uid: null, groups: [] } };
          case 'bind':
            return { node, change: { type: 'bind', socketId, uid } };
          case 'unbind':
            return { node, change: { type: 'unbind', socketId, uid } };
          case 'join':
            return { node, change: { type: 'join', socketId, group } };
          default:
            return { node, change: { type: 'leave', socketId, group } };
        }
      }),
  },
  { weight: 1, arbitrary: fc.constantFrom(...nodes).map((drop): Step => ({ drop })) },
);

describe('PresenceIndex', () => {
  it('answers like a plain map of sockets, whatever the order of changes and node deaths', () => {
    const runs = Number(process.env.FUZZ_RUNS ?? 300);
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const index = new PresenceIndex();
        const model = new Map<string, { node: string; uid: string | null; groups: Set<string> }>();
        for (const s of steps) {
          if ('drop' in s) {
            index.dropNode(s.drop);
            for (const [id, e] of model) if (e.node === s.drop) model.delete(id);
            continue;
          }
          index.apply(s.node, s.change);
          const c = s.change;
          const entry = (): { node: string; uid: string | null; groups: Set<string> } => {
            let e = model.get(c.socketId);
            if (e === undefined) model.set(c.socketId, (e = { node: s.node, uid: null, groups: new Set() }));
            return e;
          };
          switch (c.type) {
            case 'connect':
              entry();
              break;
            case 'disconnect':
              model.delete(c.socketId);
              break;
            case 'bind':
              entry().uid = c.uid;
              break;
            case 'unbind': {
              const e = model.get(c.socketId);
              if (e?.uid === c.uid) e.uid = null;
              break;
            }
            case 'join':
              entry().groups.add(c.group);
              break;
            case 'leave':
              model.get(c.socketId)?.groups.delete(c.group);
              break;
          }
        }
        const all = [...model.entries()];
        const sort = (v: unknown): string[] => [...(v as string[])].sort();
        const uidsOf = (list: typeof all): string[] =>
          [...new Set(list.map(([, e]) => e.uid).filter((u): u is string => u !== null))].sort();
        expect(sort(index.answer({ q: 'sockets' }))).toEqual(all.map(([id]) => id).sort());
        expect(index.answer({ q: 'socketCount' })).toBe(all.length);
        expect(sort(index.answer({ q: 'uids' }))).toEqual(uidsOf(all));
        expect(index.answer({ q: 'uidCount' })).toBe(uidsOf(all).length);
        expect(sort(index.answer({ q: 'groups' }))).toEqual([...new Set(all.flatMap(([, e]) => [...e.groups]))].sort());
        for (const uid of ['u', 'v', 'w']) {
          const ids = all
            .filter(([, e]) => e.uid === uid)
            .map(([id]) => id)
            .sort();
          expect(sort(index.answer({ q: 'socketsOfUid', uid }))).toEqual(ids);
          expect(index.answer({ q: 'isUidOnline', uid })).toBe(ids.length > 0);
        }
        for (const group of ['g', 'h']) {
          const members = all.filter(([, e]) => e.groups.has(group));
          expect(sort(index.answer({ q: 'sockets', group }))).toEqual(members.map(([id]) => id).sort());
          expect(index.answer({ q: 'socketCount', group })).toBe(members.length);
          expect(sort(index.answer({ q: 'uids', group }))).toEqual(uidsOf(members));
          expect(index.answer({ q: 'uidCount', group })).toBe(uidsOf(members).length);
          expect([...index.nodesHolding(group, 'A')].sort()).toEqual(
            [...new Set(members.map(([, e]) => e.node))].filter((n) => n !== 'A').sort(),
          );
        }
      }),
      { numRuns: Math.min(runs, 2_000) },
    );
  });
});
