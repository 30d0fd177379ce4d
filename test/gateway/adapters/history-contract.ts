// The history contract (not a test file itself): what every adapter's `AdapterHistory` must do (see
// src/gateway/adapters/history.ts), written once and run against each adapter by history-contract.test.ts. A
// harness is an attached adapter's history store, opened with `limits` (size 5, ttl 60 s, maxStreams 1,000), and
// the frames its node's sockets received. Redis and cluster adapters add their harness to the test file.
import { expect, it } from 'vitest';
import type { AdapterHistory, HistoryLimits, RecoveryRecord } from '../../../src/gateway/index.js';

export const CONTRACT_LIMITS: HistoryLimits = { size: 5, ttl: 60_000, maxStreams: 1_000 };

export interface HistoryHarness {
  readonly history: AdapterHistory;
  /**
   * The publication frames a member of `group` (on some node; joined before the first publish) received, in
   * arrival order, once there are `count` of them (or what came within a few seconds).
   */
  framesOf(group: string, count: number): Promise<string[]>;
}

const text = (data: string) => ({ data, binary: false });

export function historyContract(harness: () => HistoryHarness): void {
  it('publishes with consecutive offsets in one epoch, delivered framed and in order (concurrent publishes too)', async () => {
    const { history, framesOf } = harness();
    const group = `hc-order-${Math.random().toString(36).slice(2)}`;
    const stream = `group:${group}`;
    const publications = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        history.publish(stream, { kind: 'groups', groups: [group] }, text(`m${i}`), []),
      ),
    );
    const offsets = publications.map((p) => p.position.offset).sort((a, b) => a - b);
    expect(offsets).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(publications.map((p) => p.position.epoch)).size).toBe(1);
    const frames = (await framesOf(group, 20)).map(
      (f) => JSON.parse(f) as { offset: number; stream: string; data: string },
    );
    expect(frames.map((f) => f.offset)).toEqual(offsets);
    expect(frames.every((f) => f.stream === stream)).toBe(true);
    // What a frame carries is what was published at that offset.
    const byOffset = new Map(publications.map((p, i) => [p.position.offset, `m${i}`]));
    for (const f of frames) expect(f.data).toBe(byOffset.get(f.offset));
  });

  it('reads after a position with a limit; says complete, or not when trimmed or another epoch', async () => {
    const { history } = harness();
    const stream = `group:hc-read-${Math.random().toString(36).slice(2)}`;
    const audience = { kind: 'groups', groups: [stream.slice(6)] } as const;
    const empty = await history.read(stream, { limit: 0 });
    expect(empty.top).toBe(0);
    expect((await history.read(stream, { limit: 0 })).epoch).toBe(empty.epoch);
    let epoch = '';
    for (let i = 1; i <= 8; i++) epoch = (await history.publish(stream, audience, text(`m${i}`), [])).position.epoch;
    expect(epoch).toBe(empty.epoch);
    const page = await history.read(stream, { since: { epoch, offset: 5 }, limit: 2 });
    expect(page).toMatchObject({ epoch, top: 8, complete: true });
    expect(page.entries.map((e) => [e.offset, e.payload.data])).toEqual([
      [6, 'm6'],
      [7, 'm7'],
    ]);
    expect((await history.read(stream, { since: { epoch, offset: 8 }, limit: 5 })).entries).toEqual([]);
    expect((await history.read(stream, { since: { epoch, offset: 1 }, limit: 5 })).complete).toBe(false);
    expect((await history.read(stream, { since: { epoch: 'another', offset: 7 }, limit: 5 })).complete).toBe(false);
  });

  it('takes a recovery record once, even when two takes race, and not after its ttl', async () => {
    const { history } = harness();
    const record: RecoveryRecord = {
      socketId: 'n.1',
      uid: 'ada',
      groups: ['g'],
      session: { a: 1 },
      closedAt: 1,
      positions: { 'group:g': { epoch: 'e', offset: 3 } },
    };
    const id = `hc-${Math.random().toString(36).slice(2)}`;
    await history.saveRecovery(id, record, 60_000);
    const takes = await Promise.all([history.takeRecovery(id), history.takeRecovery(id), history.takeRecovery(id)]);
    expect(takes.filter((t) => t !== null)).toEqual([record]);
    await history.saveRecovery(`${id}-short`, record, 50);
    await new Promise((r) => setTimeout(r, 200));
    expect(await history.takeRecovery(`${id}-short`)).toBeNull();
    expect(await history.takeRecovery('never-saved')).toBeNull();
  });
}
