/**
 * History and recovery figures for `npm run bench:gateway` (called by bench/gateway.ts, which owns the client
 * processes): sendToGroup cost with `history` off vs on, time to recover 1,000 missed messages, memory per stored
 * message. Returns markdown lines.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { createGateway, type GatewayOptions } from '../src/index.js';
import { StreamStore } from '../src/gateway/adapters/stream-store.js';
import type { FanTarget } from './gateway.js';

type FanOut = (target: FanTarget, clients: number, k: number) => Promise<{ rate: number; cpuMsPerSend: number }>;

const HOST = '127.0.0.1';

async function groupSend(fanOut: FanOut, history: boolean, clients: number, k: number) {
  const options: GatewayOptions = { port: 0, host: HOST, heartbeat: false, web: false };
  const gateway = await createGateway(history ? { ...options, history: { size: 1_000, ttl: 120_000 } } : options);
  gateway.on('error', (e) => console.error('gateway error:', e));
  gateway.on('connect', (socket) => void gateway.joinGroup(socket.id, 'g'));
  return fanOut(
    {
      port: gateway.port,
      members: () => gateway.socketCount('g'),
      send: (i) => gateway.sendToGroup('g', { type: 'tick', data: i }),
      close: () => gateway.close({ timeout: 1000 }),
    },
    clients,
    k,
  );
}

/** Milliseconds from sending `$recover` to its reply, with `missed` publications replayed before it. */
async function recoveryTime(missed: number): Promise<{ ms: number; replayed: number }> {
  const gateway = await createGateway({
    port: 0,
    host: HOST,
    heartbeat: false,
    web: false,
    history: { size: missed, ttl: 120_000 },
    recovery: { window: 120_000 },
  });
  try {
    const url = `ws://${HOST}:${gateway.port}/ws`;
    const first = new WebSocket(url);
    const token = await new Promise<{ token: string; socketId: string }>((resolve) =>
      first.once('message', (data: Buffer) => resolve((JSON.parse(data.toString()) as { data: never }).data)),
    );
    await gateway.joinGroup(token.socketId, 'g');
    await gateway.sendToGroup('g', 'seen');
    const seen = await new Promise<{ epoch: string }>((resolve) =>
      first.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()) as { epoch: string })),
    );
    first.terminate();
    while (gateway.localSocket(token.socketId) !== null) await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < missed; i++)
      await gateway.sendToGroup('g', { type: 'chat', data: { n: i, text: 'x'.repeat(64) } });
    const second = new WebSocket(url);
    await new Promise((resolve) => second.once('open', resolve));
    let replayed = 0;
    const start = performance.now();
    const done = new Promise<number>((resolve) =>
      second.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString()) as { type: string };
        if (m.type === 'publication') replayed++;
        if (m.type === '$recover') resolve(performance.now() - start);
      }),
    );
    second.send(
      JSON.stringify({
        type: '$recover',
        id: 1,
        data: { token: token.token, positions: { 'group:g': { epoch: seen.epoch, offset: 1 } } },
      }),
    );
    const ms = await done;
    second.terminate();
    return { ms, replayed };
  } finally {
    await gateway.close({ timeout: 200 });
  }
}

/** Heap bytes per stored message: `count` messages in 100 streams, with shared or unique 100-byte payloads. */
function bytesPerMessage(count: number, unique: boolean): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const shared = 'x'.repeat(100);
  gc();
  const before = process.memoryUsage().heapUsed;
  const store = new StreamStore({ size: count, ttl: 3_600_000, maxStreams: 1_000 });
  for (let i = 0; i < count; i++) {
    const data = unique ? `${i.toString().padStart(10, '0')}${shared.slice(10)}` : shared;
    store.append(`group:${i % 100}`, { data, binary: false });
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  if (store.streamCount === 0) throw new Error('unreachable');
  return (after - before) / count;
}

export async function historyRows(fanOut: FanOut): Promise<string[]> {
  const fmt = (n: number, digits = 0): string =>
    n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const lines = ['| history | off | on | on / off |', '|---|---:|---:|---:|'];
  for (const [clients, k] of [
    [5_000, 20],
    [50, 2_000],
  ] as const) {
    const off = await groupSend(fanOut, false, clients, k);
    const on = await groupSend(fanOut, true, clients, k);
    lines.push(
      `| sendToGroup, ${fmt(clients)} members × ${fmt(k)} sends: deliveries/s | ${fmt(off.rate)} | ${fmt(on.rate)} | ${(on.rate / off.rate).toFixed(2)} |`,
      `| same: gateway CPU per send (ms) | ${fmt(off.cpuMsPerSend, 3)} | ${fmt(on.cpuMsPerSend, 3)} | ${(on.cpuMsPerSend / off.cpuMsPerSend).toFixed(2)} |`,
    );
  }
  const recovery = await recoveryTime(1_000);
  lines.push('');
  lines.push('| recovery and storage | figure |', '|---|---:|');
  lines.push(
    `| recover 1,000 missed messages (\`$recover\` to reply, ${recovery.replayed} replayed) | ${fmt(recovery.ms, 1)} ms |`,
  );
  lines.push(
    `| memory per stored message, shared payload (entry overhead) | ${fmt(bytesPerMessage(100_000, false))} B |`,
  );
  lines.push(`| memory per stored message, unique 100-byte payload | ${fmt(bytesPerMessage(100_000, true))} B |`);
  return lines;
}
