// The in-process history store (memory adapter, cluster primary): offsets, trimming, expiry and the bounds that keep
// a hostile application or peer from growing it without limit.
import { describe, expect, it } from 'vitest';
import { RecoveryStore, StreamStore } from '../../../src/gateway/adapters/stream-store.js';
import type { RecoveryRecord } from '../../../src/gateway/adapters/history.js';

const text = (s: string) => ({ data: s, binary: false });

function clock(start = 1_000) {
  const c = { now: start, fn: () => c.now };
  return c;
}

describe('StreamStore', () => {
  it('gives consecutive offsets from 1 within one epoch, per stream', () => {
    const store = new StreamStore({ size: 10, ttl: 60_000, maxStreams: 10 });
    const a1 = store.append('group:a', text('1'));
    const a2 = store.append('group:a', text('2'));
    const b1 = store.append('group:b', text('x'));
    expect([a1.offset, a2.offset, b1.offset]).toEqual([1, 2, 1]);
    expect(a2.epoch).toBe(a1.epoch);
    expect(b1.epoch).not.toBe(a1.epoch);
  });

  it('reads after a position, with limit, and says whether the range is complete', () => {
    const store = new StreamStore({ size: 3, ttl: 60_000, maxStreams: 10 });
    let epoch = '';
    for (let i = 1; i <= 5; i++) epoch = store.append('s', text(String(i))).epoch;
    // kept: 3, 4, 5
    const recent = store.read('s', { since: { epoch, offset: 2 }, limit: 10 });
    expect(recent.complete).toBe(true);
    expect(recent.entries.map((e) => e.offset)).toEqual([3, 4, 5]);
    expect(recent.top).toBe(5);
    const limited = store.read('s', { since: { epoch, offset: 3 }, limit: 1 });
    expect(limited.entries.map((e) => e.payload.data)).toEqual(['4']);
    const trimmed = store.read('s', { since: { epoch, offset: 1 }, limit: 10 });
    expect(trimmed.complete).toBe(false);
    const otherEpoch = store.read('s', { since: { epoch: 'nope', offset: 4 }, limit: 10 });
    expect(otherEpoch).toMatchObject({ complete: false, entries: [] });
    const ahead = store.read('s', { since: { epoch, offset: 9 }, limit: 10 });
    expect(ahead.complete).toBe(false);
    const upToDate = store.read('s', { since: { epoch, offset: 5 }, limit: 10 });
    expect(upToDate).toMatchObject({ complete: true, entries: [] });
    expect(store.read('s', { limit: 0 })).toMatchObject({ top: 5, entries: [], epoch });
  });

  it('drops messages older than ttl', () => {
    const c = clock();
    const store = new StreamStore({ size: 100, ttl: 1_000, maxStreams: 10 }, c.fn);
    const { epoch } = store.append('s', text('old'));
    c.now += 600;
    store.append('s', text('new'));
    c.now += 600;
    const page = store.read('s', { since: { epoch, offset: 0 }, limit: 10 });
    expect(page.entries.map((e) => e.payload.data)).toEqual(['new']);
    expect(page.complete).toBe(false);
  });

  it('keeps at most maxStreams streams: a flood of fresh names evicts the least recently written', () => {
    const store = new StreamStore({ size: 10, ttl: 60_000, maxStreams: 100 });
    const first = store.append('group:keep', text('k'));
    for (let i = 0; i < 10_000; i++) {
      store.append(`uid:${i}`, text('x'));
      if (i % 50 === 0) store.append('group:keep', text('k'));
    }
    expect(store.streamCount).toBe(100);
    expect(store.read('group:keep', { limit: 0 }).epoch).toBe(first.epoch);
    // uid:0 was evicted: it comes back under a new epoch, so a reader can tell its history is gone.
    const again = store.read('uid:0', { since: { epoch: first.epoch, offset: 1 }, limit: 1 });
    expect(again.complete).toBe(false);
  });

  it('reads of unknown streams are bounded too, and idle streams expire', () => {
    const c = clock();
    const store = new StreamStore({ size: 10, ttl: 1_000, maxStreams: 50 }, c.fn);
    for (let i = 0; i < 1_000; i++) store.read(`group:${i}`, { limit: 0 });
    expect(store.streamCount).toBe(50);
    c.now += 5_000;
    for (let i = 0; i < 30; i++) store.append('group:live', text('x'));
    expect(store.streamCount).toBeLessThan(50);
  });
});

describe('RecoveryStore', () => {
  const record = (socketId: string): RecoveryRecord => ({ socketId, uid: null, groups: [], session: {}, closedAt: 0 });

  it('takes a record once, and not after its ttl', () => {
    const c = clock();
    const store = new RecoveryStore(10, c.fn);
    store.save('a', record('n.1'), 1_000);
    store.save('b', record('n.2'), 1_000);
    expect(store.take('a')?.socketId).toBe('n.1');
    expect(store.take('a')).toBeNull();
    c.now += 1_001;
    expect(store.take('b')).toBeNull();
  });

  it('keeps at most maxRecords (oldest dropped first)', () => {
    const store = new RecoveryStore(100);
    for (let i = 0; i < 5_000; i++) store.save(`t${i}`, record(`n.${i}`), 60_000);
    expect(store.size).toBe(100);
    expect(store.take('t0')).toBeNull();
    expect(store.take('t4999')?.socketId).toBe('n.4999');
  });
});
