// Delivery across reconnects with real processes: a gateway node in its own process (test/helpers/history-node.ts),
// a producer posting to its push API, and a browser client (WsgateClient over `ws`) behind a TCP proxy that cuts the
// client off mid-stream without a close frame. Counts are printed for the closing note and docs/gateway.md.
import { afterEach, describe, expect, it } from 'vitest';
import { ChildApp, stopAllApps } from '../../helpers/child-app.js';
import { waitFor } from '../../helpers/wait.js';
import { CuttableProxy } from '../../helpers/cuttable-proxy.js';
import {
  closeRecordingClients,
  duplicates,
  joinRoomUnlessRecovered,
  recordingClient,
} from '../../helpers/recording-client.js';

const proxies: CuttableProxy[] = [];

afterEach(async () => {
  closeRecordingClients();
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await stopAllApps();
});

async function startNode(port = 0): Promise<{ app: ChildApp; port: number }> {
  const app = new ChildApp('../helpers/history-node.ts', { PORT: String(port) });
  const [listening] = await app.waitEvents((e) => e.event === 'listening', 1, 30_000);
  return { app, port: listening!.port as number };
}

/** Posts `{type:"chat", data: seq}` to group `room` through the push API; resolves to the sockets it reached. */
async function produce(port: number, seq: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/api/sendToGroup`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body: JSON.stringify({ group: 'room', message: { type: 'chat', data: seq } }),
  });
  if (res.status !== 200) throw new Error(`sendToGroup: HTTP ${res.status}`);
  return ((await res.json()) as { delivered: number }).delivered;
}

const client = (port: number) => recordingClient(port, joinRoomUnlessRecovered);

describe('delivery faults (real processes)', () => {
  it('a client cut off mid-stream gets every message, in order, exactly once after reconnecting', async () => {
    const node = await startNode();
    const proxy = await CuttableProxy.start(node.port);
    proxies.push(proxy);
    const { received, events } = client(proxy.port);
    await waitFor(() => events.includes('open:false'), 20_000);
    const total = 400;
    let sent = 0;
    let cutAt = -1;
    const producer = (async () => {
      // The first message only once the client is in the room.
      while ((await produce(node.port, 0)) === 0) await new Promise((r) => setTimeout(r, 20));
      for (let seq = 1; seq <= total; seq++) {
        await produce(node.port, seq);
        sent++;
        if (seq === 120) {
          cutAt = received.length;
          proxy.cut();
        }
      }
    })();
    await producer;
    await waitFor(() => received.filter((n) => n > 0).length >= total || duplicates(received) > 0, 30_000);
    const data = received.filter((n) => n > 0);
    const report = {
      sent,
      received: data.length,
      duplicated: duplicates(data),
      unrecoverable: events.filter((e) => e.startsWith('recovery-failed')).length,
      receivedBeforeCut: cutAt,
    };
    console.log(`[delivery-faults] TCP cut: ${JSON.stringify(report)}`);
    expect(events).toContain('recovered');
    expect(node.app.events.some((e) => e.event === 'recover')).toBe(true);
    expect(data).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(report.duplicated).toBe(0);
  }, 60_000);

  it('a node restart (memory adapter: history gone, new epoch) is reported as recovery-failed, never silently', async () => {
    const first = await startNode();
    const proxy = await CuttableProxy.start(first.port);
    proxies.push(proxy);
    const { received, events } = client(proxy.port);
    while ((await produce(first.port, 0)) === 0) await new Promise((r) => setTimeout(r, 20));
    for (let seq = 1; seq <= 50; seq++) await produce(first.port, seq);
    await waitFor(() => received.filter((n) => n > 0).length === 50, 20_000);
    proxy.blocked = true;
    proxy.cut(); // the client is away...
    let lost = 0;
    for (let seq = 51; seq <= 70; seq++) {
      await produce(first.port, seq);
      lost++;
    }
    first.app.child.kill('SIGKILL'); // ...and the node dies with the messages it kept
    await first.app.exited;
    const second = await startNode(first.port);
    proxy.blocked = false;
    await waitFor(() => events.some((e) => e.startsWith('recovery-failed')), 30_000);
    while ((await produce(second.port, 0)) === 0) await new Promise((r) => setTimeout(r, 20));
    for (let seq = 71; seq <= 100; seq++) await produce(second.port, seq);
    await waitFor(() => received.filter((n) => n > 70).length === 30, 20_000);
    const data = received.filter((n) => n > 0);
    const report = {
      sent: 100,
      received: data.length,
      duplicated: duplicates(data),
      lostWhileAway: lost,
      reportedUnrecoverable: events.filter((e) => e.startsWith('recovery-failed')),
    };
    console.log(`[delivery-faults] node restart: ${JSON.stringify(report)}`);
    expect(events).toContain('recovery-failed:recovery_refused');
    expect(events).not.toContain('recovered');
    expect(data).toEqual([
      ...Array.from({ length: 50 }, (_, i) => i + 1),
      ...Array.from({ length: 30 }, (_, i) => i + 71),
    ]);
  }, 60_000);
});
