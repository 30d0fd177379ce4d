// The history contract (contract-history.ts) run against every adapter with history: memory (one gateway in this
// process), node:cluster (a primary with a ClusterHub and three workers, test/helpers/cluster-app.ts) and Redis
// (three gateway processes on one real redis-server, test/helpers/redis-node.ts), each with HISTORY_SIZE=10.
import { afterAll, beforeAll, describe } from 'vitest';
import { createClient } from 'redis';
import { createGateway, MemoryAdapter } from '../../../src/gateway/index.js';
import { ChildApp } from '../../helpers/child-app.js';
import { installRpc } from '../../helpers/gateway-rpc.js';
import { captureHistory, historyOptionsFromEnv, installHistoryRpc } from '../../helpers/history-rpc.js';
import { RedisServer } from '../../helpers/redis-server.js';
import { openClient, type Client } from './contract.js';
import { historyContract, type HistoryHarness } from './contract-history.js';

const SIZE = 10;
const ENV = { HISTORY_SIZE: String(SIZE), HISTORY_TTL: '60000' };

async function memoryHarness(): Promise<HistoryHarness> {
  process.env.HISTORY_SIZE = ENV.HISTORY_SIZE;
  const options = historyOptionsFromEnv()!;
  delete process.env.HISTORY_SIZE;
  const adapter = new MemoryAdapter();
  const captured = captureHistory(adapter);
  const gateway = await createGateway({ port: 0, host: '127.0.0.1', heartbeat: false, adapter, ...options });
  installRpc(gateway);
  installHistoryRpc(gateway, captured.get);
  return {
    nodes: 1,
    size: SIZE,
    connect: () => openClient(`ws://127.0.0.1:${gateway.port}/ws`),
    stop: () => gateway.close({ timeout: 200 }),
  };
}

async function clusterHarness(): Promise<HistoryHarness> {
  const app = new ChildApp('../helpers/cluster-app.ts', { PORT: '0', WORKERS: '3', ...ENV });
  const listening = await app.waitEvents((e) => e.event === 'listening', 3, 35_000);
  const port = listening[0]!.port as number;
  const nodes = listening.map((e) => e.node as string);
  const spare: Client[] = [];
  return {
    nodes: 3,
    size: SIZE,
    async connect(index) {
      // The primary hands connections out round-robin: connect until one lands on the wanted worker.
      for (let i = 0; i < 30; i++) {
        const reused = spare.findIndex((c) => c.node === nodes[index]);
        if (reused !== -1) return spare.splice(reused, 1)[0]!;
        spare.push(await openClient(`ws://127.0.0.1:${port}/ws`));
      }
      throw new Error(`no client landed on worker ${index}`);
    },
    async stop() {
      for (const c of spare) c.ws.ws.terminate();
      await app.stop();
    },
  };
}

async function redisHarness(): Promise<HistoryHarness> {
  const redis = await RedisServer.start();
  const admin = createClient({ url: redis.url });
  admin.on('error', () => undefined);
  await admin.connect();
  const apps = ['H0', 'H1', 'H2'].map(
    (id, i) =>
      new ChildApp('../helpers/redis-node.ts', {
        REDIS_URL: redis.url,
        NODE_ID: id,
        CLIENT: i === 1 ? 'ioredis' : 'node-redis',
        REQUEST_TIMEOUT: '3000',
        ...ENV,
      }),
  );
  const ports = await Promise.all(
    apps.map(async (app) => (await app.waitEvents((e) => e.event === 'listening', 1, 35_000))[0]!.port as number),
  );
  return {
    nodes: 3,
    size: SIZE,
    connect: (index) => openClient(`ws://127.0.0.1:${ports[index]}/ws`),
    async flush() {
      // Only the history: the nodes' presence stays (FLUSHALL would drop it until their next heartbeat).
      const keys = [...(await admin.keys('wsgate:{default}:h:*')), ...(await admin.keys('wsgate:{default}:hs:*'))];
      if (keys.length > 0) await admin.del(keys);
    },
    async stop() {
      await Promise.all(apps.map((a) => a.stop()));
      await admin.close();
      await redis.destroy();
    },
  };
}

describe.each([
  ['MemoryAdapter', memoryHarness],
  ['ClusterAdapter (node:cluster, 3 workers)', clusterHarness],
  ['RedisAdapter (3 processes, redis-server)', redisHarness],
] as const)('adapter history contract: %s', (_name, start) => {
  let harness: HistoryHarness;
  beforeAll(async () => {
    harness = await start();
  }, 45_000);
  afterAll(async () => {
    await harness?.stop();
  }, 20_000);
  historyContract(() => harness);
});
