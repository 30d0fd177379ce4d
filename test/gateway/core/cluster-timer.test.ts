// Cluster-scoped timers in one process: the memory adapter always leads, an adapter without leases is refused, the
// primary's lease table, and the lease rules (a follower never ticks; a lost lease stops the ticks). The failover
// over real processes is in cluster-timer.failover.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Adapter, type Gateway, type LeaseStore } from '../../../src/gateway/index.js';
import { LeaseTable } from '../../../src/gateway/adapters/lease.js';
import { MemoryAdapter } from '../../../src/gateway/adapters/memory/memory-adapter.js';
import { GatewayTimers } from '../../../src/gateway/core/timers.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close({ timeout: 0 })));
});

async function waitFor(check: () => boolean, timeout = 5_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('cluster-scoped timers', () => {
  it('tick on the memory adapter (a cluster of one) and stop when cancelled', async () => {
    const gateway = await createGateway({ heartbeat: false });
    gateways.push(gateway);
    let ticks = 0;
    const timer = gateway.every(60, () => ticks++, { scope: 'cluster', leaseTtl: 1_000 });
    await waitFor(() => ticks >= 3);
    timer.cancel();
    const at = ticks;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ticks).toBe(at);
    expect(timer.active).toBe(false);
  });

  it('are refused with an adapter without leases, and bad options are TypeErrors', async () => {
    const memory = new MemoryAdapter();
    const bare: Adapter = {
      attach: (node) => memory.attach(node),
      presenceChanged: () => undefined,
      forward: (n, c) => memory.forward(n, c),
      broadcast: (a, p, x) => memory.broadcast(a, p, x),
      ungroup: (g) => memory.ungroup(g),
      isUidOnline: (u) => memory.isUidOnline(u),
      socketsOfUid: (u) => memory.socketsOfUid(u),
      sockets: (g) => memory.sockets(g),
      uids: (g) => memory.uids(g),
      groups: () => memory.groups(),
      socketCount: (g) => memory.socketCount(g),
      uidCount: (g) => memory.uidCount(g),
      sessions: (g) => memory.sessions(g),
      close: () => memory.close(),
    };
    const gateway = await createGateway({ heartbeat: false, adapter: bare });
    gateways.push(gateway);
    expect(() => gateway.every(100, () => undefined, { scope: 'cluster' })).toThrow(/has no leases/);
    expect(() => gateway.every(100, () => undefined)).not.toThrow();
    const other = await createGateway({ heartbeat: false });
    gateways.push(other);
    expect(() => other.every(100, () => undefined, { scope: 'cluster', leaseTtl: 0 })).toThrow(TypeError);
    expect(() => other.every(0, () => undefined, { scope: 'cluster' })).toThrow(TypeError);
    expect(() => other.every(100, () => undefined, { scope: 'cluster', name: '' })).toThrow(TypeError);
    expect(() => other.every(100, () => undefined, { scope: 'bogus' as 'node' })).toThrow(TypeError);
  });

  it('a follower never ticks; losing the lease stops the ticks; errors are reported once per outage', async () => {
    let holder: 'me' | 'other' | 'down' = 'other';
    const calls: string[] = [];
    const leases: LeaseStore = {
      lease: (name) => {
        calls.push(name);
        return holder === 'down' ? Promise.reject(new Error('store down')) : Promise.resolve(holder === 'me');
      },
      releaseLease: () => Promise.resolve(),
    };
    const errors: unknown[] = [];
    const timers = new GatewayTimers((e) => errors.push(e), undefined, leases);
    let ticks = 0;
    timers.every(50, () => ticks++, { scope: 'cluster', leaseTtl: 400, name: 'x' });
    await waitFor(() => calls.length >= 4);
    expect(ticks).toBe(0);
    holder = 'me';
    await waitFor(() => ticks >= 3);
    holder = 'down';
    await waitFor(() => calls.length >= 20);
    const stopped = ticks;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(ticks).toBe(stopped);
    expect(errors).toHaveLength(1);
    timers.clear();
  });

  it("the primary's lease table: one holder until expiry; release hands over no sooner than asked", () => {
    let now = 1_000;
    const table = new LeaseTable(() => now);
    expect(table.lease('t', 'a', 100)).toBe(true);
    expect(table.lease('t', 'b', 100)).toBe(false);
    now += 99;
    expect(table.lease('t', 'a', 100)).toBe(true);
    now += 99;
    expect(table.lease('t', 'b', 100)).toBe(false);
    now += 2;
    expect(table.lease('t', 'b', 100)).toBe(true);
    expect(table.holder('t')).toBe('b');
    table.release('t', 'a', 0);
    expect(table.holder('t')).toBe('b');
    table.release('t', 'b', 30);
    now += 29;
    expect(table.lease('t', 'a', 100)).toBe(false);
    now += 1;
    expect(table.lease('t', 'a', 100)).toBe(true);
  });
});
