// The scale-out correlation table (src/gateway/adapters/requests.ts), without sockets or timers of its own.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AdapterUnavailableError } from '../../../src/gateway/index.js';
import { Requests } from '../../../src/gateway/adapters/requests.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Requests', () => {
  it('sums acknowledgements, including those that arrive before the reach is known', async () => {
    const table = new Requests();
    const r = table.create('sum', 2);
    table.reply(r.id, 3, 'B'); // before PUBLISH returned
    const done = r.expect(3, 1_000);
    table.reply(r.id, 4, 'C');
    table.reply(r.id, null, 'A', false); // our own copy: counted as a receipt, adds nothing
    expect(await done).toBe(7);
    expect(table.size).toBe(0);
  });

  it('resolves a request that reached nobody with its fallback at once', async () => {
    const table = new Requests();
    expect(await table.create('first', 0, false).expect(0, 1_000)).toBe(false);
    expect(await table.create('sum').expect(0, 1_000)).toBe(0);
    expect(await table.create('merge').expect([], 1_000)).toEqual({});
  });

  it('keeps the first reply, merges snapshots', async () => {
    const table = new Requests();
    const first = table.create('first');
    const p = first.expect(1, 1_000);
    table.reply(first.id, 'one', 'B');
    table.reply(first.id, 'two', 'C');
    expect(await p).toBe('one');
    const merge = table.create('merge');
    const q = merge.expect(2, 1_000);
    table.reply(merge.id, { b: 1 }, 'B');
    table.reply(merge.id, { c: 2 }, 'C');
    expect(await q).toEqual({ b: 1, c: 2 });
  });

  it('stops waiting for a node that left, when the transport named the nodes reached', async () => {
    const table = new Requests();
    const r = table.create('sum', 1);
    const p = r.expect(['B', 'C'], 60_000);
    table.reply(r.id, 2, 'B');
    table.gone('C');
    expect(await p).toBe(2);
    const f = table.create('first', 0, null);
    const q = f.expect(['D'], 60_000);
    table.gone('D');
    expect(await q).toBe(null);
  });

  it('times out with the sockets known to be written to, and who answered', async () => {
    vi.useFakeTimers();
    const table = new Requests();
    const r = table.create('sum', 5);
    const p = r.expect(3, 100);
    table.reply(r.id, 2, 'B');
    vi.advanceTimersByTime(100);
    const error = await p.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdapterUnavailableError);
    expect(error).toMatchObject({ delivered: 7, message: '1 of 3 acknowledgements (from B) within 100 ms' });
    expect(table.size).toBe(0);
  });

  it('fails every open request at once (the connection carrying replies is gone)', async () => {
    const table = new Requests();
    const a = table.create('sum', 1).expect(2, 60_000);
    const b = table.create('first').expect(1, 60_000);
    table.failAll(new AdapterUnavailableError('gone'));
    await expect(a).rejects.toMatchObject({ message: 'gone', delivered: 1 });
    await expect(b).rejects.toMatchObject({ message: 'gone', delivered: 0 });
  });
});
