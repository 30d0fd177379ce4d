/**
 * History and recovery figures for `npm run bench:gateway` (called by bench/gateway.ts, which owns the client
 * processes): sendToGroup cost with `history` off vs on, time to recover 1,000 missed messages, memory per stored
 * message. Returns markdown lines.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { createClient } from 'redis';
import { createGateway, RedisAdapter, type GatewayOptions } from '../src/index.js';
import { RedisServer } from '../test/helpers/redis-server.js';
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

/** Redis's own CPU time so far (ms), from `INFO cpu`. */
async function redisCpuMs(admin: { info(section: string): Promise<string> }): Promise<number> {
  const info = await admin.info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1000;
}

/**
 * sendToGroup on one gateway with a RedisAdapter (a redis-server of its own): history off (PUBLISH to the group's
 * channel) vs on (the Lua script: offset, XADD MAXLEN, PUBLISH of the framed publication, delivered locally when
 * it comes back). Sends are awaited one by one, so deliveries/s is bound by the round trip to Redis in both.
 */
async function groupSendRedis(fanOut: FanOut, server: RedisServer, history: boolean, clients: number, k: number) {
  const admin = createClient({ url: server.url });
  await admin.connect();
  await admin.flushAll();
  const options: GatewayOptions = {
    port: 0,
    host: HOST,
    heartbeat: false,
    web: false,
    adapter: new RedisAdapter({ client: createClient({ url: server.url }) }),
  };
  const gateway = await createGateway(history ? { ...options, history: { size: 1_000, ttl: 120_000 } } : options);
  gateway.on('error', (e) => console.error('gateway error:', e));
  gateway.on('connect', (socket) => void gateway.joinGroup(socket.id, 'g'));
  let redisBefore = 0;
  const result = await fanOut(
    {
      port: gateway.port,
      members: () => gateway.node.socketCount('g'),
      send: async (i) => {
        // The first measured send (i = 0) starts Redis's CPU count; warm-up sends are i = -1.
        if (i === 0) redisBefore = await redisCpuMs(admin);
        return gateway.sendToGroup('g', { type: 'tick', data: i });
      },
      close: () => gateway.close({ timeout: 1000 }),
    },
    clients,
    k,
  );
  const redisMsPerSend = ((await redisCpuMs(admin)) - redisBefore) / k;
  await admin.close();
  return { ...result, redisMsPerSend };
}

/** The Redis rows (`npm run bench:gateway`, or alone: `npx tsx bench/gateway.ts --redis-history-only`). */
export async function redisHistoryRows(fanOut: FanOut): Promise<string[]> {
  const fmt = (n: number, digits = 0): string =>
    n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const server = await RedisServer.start();
  try {
    const lines = [
      '| history, RedisAdapter (1 gateway + redis-server) | off | on | on / off |',
      '|---|---:|---:|---:|',
    ];
    for (const [clients, k] of [
      [500, 500],
      [50, 2_000],
    ] as const) {
      const off = await groupSendRedis(fanOut, server, false, clients, k);
      const on = await groupSendRedis(fanOut, server, true, clients, k);
      lines.push(
        `| sendToGroup, ${fmt(clients)} members × ${fmt(k)} sends, one at a time: deliveries/s | ${fmt(off.rate)} | ${fmt(on.rate)} | ${(on.rate / off.rate).toFixed(2)} |`,
        `| same: gateway CPU per send (ms) | ${fmt(off.cpuMsPerSend, 3)} | ${fmt(on.cpuMsPerSend, 3)} | ${(on.cpuMsPerSend / off.cpuMsPerSend).toFixed(2)} |`,
        `| same: redis-server CPU per send (ms) | ${fmt(off.redisMsPerSend, 3)} | ${fmt(on.redisMsPerSend, 3)} | ${(on.redisMsPerSend / off.redisMsPerSend).toFixed(2)} |`,
      );
    }
    return lines;
  } finally {
    await server.destroy();
  }
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
  lines.push('');
  lines.push(...(await redisHistoryRows(fanOut)));
  return lines;
}
