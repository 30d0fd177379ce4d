// Delivery across reconnects with node:cluster, real processes: a primary with a ClusterHub (history and recovery
// records live there) and two workers (test/helpers/cluster-app.ts with HISTORY_SIZE and HEARTBEAT), a producer
// client calling sendToGroup on a worker, and a browser client (WsgateClient over `ws`) behind a TCP proxy that cuts
// it off without a close frame; its next connection lands on whichever worker the primary picks.
import { afterEach, describe, expect, it } from 'vitest';
import { ChildApp, stopAllApps } from '../../../helpers/child-app.js';
import { waitFor } from '../../../helpers/wait.js';
import { CuttableProxy } from '../../../helpers/cuttable-proxy.js';
import { closeRecordingClients, duplicates, range, recordingClient } from '../../../helpers/recording-client.js';
import { call, openClient, type Client } from '../contract.js';

const proxies: CuttableProxy[] = [];
const others: Client[] = [];

afterEach(async () => {
  closeRecordingClients();
  for (const c of others.splice(0)) c.ws.ws.terminate();
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await stopAllApps();
});

async function start(): Promise<{ app: ChildApp; port: number }> {
  const app = new ChildApp('../helpers/cluster-app.ts', {
    PORT: '0',
    WORKERS: '2',
    HISTORY_SIZE: '10000',
    HISTORY_TTL: '120000',
    HEARTBEAT: '300',
  });
  const listening = await app.waitEvents((e) => e.event === 'listening', 2, 35_000);
  return { app, port: listening[0]!.port as number };
}

/** The browser client; `pid` is the worker of its current connection. */
function browser(port: number) {
  const state = {
    ...recordingClient(port, (c, recovered) => {
      c.request<{ id: string; pid: number }>('whoami')
        .then(async (me) => {
          state.pid = me.pid;
          if (!recovered) await c.request('call', { method: 'joinGroup', args: [me.id, 'room'] });
          state.joined = true;
        })
        .catch(() => undefined); // the connection died meanwhile: the next open asks again
    }),
    pid: 0,
    joined: false,
  };
  return state;
}

/** A producer client on a worker other than `pid`. */
async function producerAwayFrom(port: number, pid: number): Promise<Client> {
  for (let i = 0; i < 20; i++) {
    const c = await openClient(`ws://127.0.0.1:${port}/ws`);
    others.push(c);
    if (c.pid !== pid) return c;
  }
  throw new Error('no connection landed on another worker');
}

const send = (producer: Client, seq: number) =>
  call(producer, 'sendToGroup', 'room', { type: 'chat', data: seq }) as Promise<number>;
const closesOf = (app: ChildApp, pid: number): number =>
  app.events.filter((e) => e.event === 'close' && e.pid === pid).length;

describe('node:cluster history faults (real processes)', () => {
  it('a client cut off mid-stream gets every message in order exactly once, whichever worker it lands on', async () => {
    const { app, port } = await start();
    const proxy = await CuttableProxy.start(port);
    proxies.push(proxy);
    const b = browser(proxy.port);
    await waitFor(() => b.joined, 20_000);
    const firstPid = b.pid;
    const producer = await producerAwayFrom(port, firstPid);
    const total = 300;
    let away: Promise<void> = Promise.resolve();
    for (let seq = 1; seq <= total; seq++) {
      expect(await send(producer, seq)).toBeGreaterThanOrEqual(seq <= 100 ? 1 : 0);
      if (seq === 100) {
        proxy.blocked = true;
        proxy.cut();
        away = waitFor(() => closesOf(app, firstPid) >= 1, 20_000).then(() => {
          proxy.blocked = false;
        });
      }
    }
    await away;
    await waitFor(() => b.received.length >= total || duplicates(b.received) > 0, 30_000);
    const report = {
      sent: total,
      received: b.received.length,
      duplicated: duplicates(b.received),
      unrecoverable: b.events.filter((e) => e.startsWith('recovery-failed')).length,
      sameWorker: b.pid === firstPid,
    };
    console.log(`[cluster-history-faults] TCP cut: ${JSON.stringify(report)}`);
    expect(b.events).toContain('recovered');
    expect(b.received).toEqual(range(1, total));
  }, 90_000);

  it('the worker SIGKILLed while its client is away: another worker recovers it from the primary', async () => {
    const { app, port } = await start();
    const proxy = await CuttableProxy.start(port);
    proxies.push(proxy);
    const b = browser(proxy.port);
    await waitFor(() => b.joined, 20_000);
    const firstPid = b.pid;
    const producer = await producerAwayFrom(port, firstPid);
    for (let seq = 1; seq <= 50; seq++) await send(producer, seq);
    await waitFor(() => b.received.length === 50, 20_000);
    proxy.blocked = true;
    proxy.cut();
    await waitFor(() => closesOf(app, firstPid) >= 1, 20_000);
    for (let seq = 51; seq <= 70; seq++) await send(producer, seq);
    process.kill(firstPid, 'SIGKILL');
    await app.waitEvents((e) => e.event === 'exit' && e.pid === firstPid, 1, 15_000);
    proxy.blocked = false;
    await waitFor(() => b.events.some((e) => e === 'recovered' || e.startsWith('recovery-failed')), 30_000);
    for (let seq = 71; seq <= 100; seq++) await send(producer, seq);
    await waitFor(() => b.received.length >= 100, 30_000);
    const report = {
      sent: 100,
      received: b.received.length,
      duplicated: duplicates(b.received),
      unrecoverable: b.events.filter((e) => e.startsWith('recovery-failed')).length,
    };
    console.log(`[cluster-history-faults] worker SIGKILLed while away: ${JSON.stringify(report)}`);
    expect(b.pid).not.toBe(firstPid);
    expect(b.events).toContain('recovered');
    expect(b.received).toEqual(range(1, 100));
  }, 90_000);
});
