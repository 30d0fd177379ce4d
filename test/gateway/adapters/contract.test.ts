// The adapter contract (contract.ts) run against every adapter: memory (one gateway in this process), node:cluster
// (a primary with a ClusterHub and three workers sharing one port, test/helpers/cluster-app.ts), Redis (three
// gateway processes on one real redis-server, test/helpers/redis-node.ts), and the test-only in-process bus
// (test/helpers/bus-adapter.ts: three gateways in this process, what a new transport on the base looks like).
import { afterAll, beforeAll, describe } from 'vitest';
import { createGateway, MemoryAdapter, type Gateway } from '../../../src/gateway/index.js';
import { Bus, BusAdapter } from '../../helpers/bus-adapter.js';
import { ChildApp } from '../../helpers/child-app.js';
import { installRpc } from '../../helpers/gateway-rpc.js';
import { RedisServer } from '../../helpers/redis-server.js';
import { adapterContract, openClient, type Client, type Harness } from './contract.js';

const MAX_GROUPS = 3;

async function memoryHarness(): Promise<Harness> {
  const gateway: Gateway = await createGateway({
    port: 0,
    host: '127.0.0.1',
    heartbeat: false,
    maxGroupsPerSocket: MAX_GROUPS,
    adapter: new MemoryAdapter(),
  });
  installRpc(gateway);
  const clients: Client[] = [];
  return {
    nodes: 1,
    maxGroups: MAX_GROUPS,
    forgetWithin: 0,
    async connect() {
      const client = await openClient(`ws://127.0.0.1:${gateway.port}/ws`);
      clients.push(client);
      return client;
    },
    async stop() {
      for (const c of clients) c.ws.ws.terminate();
      await gateway.close({ timeout: 200 });
    },
  };
}

async function busHarness(): Promise<Harness> {
  const bus = new Bus();
  const gateways = await Promise.all(
    ['A', 'B', 'C'].map((nodeId) =>
      createGateway({
        port: 0,
        host: '127.0.0.1',
        nodeId,
        heartbeat: false,
        maxGroupsPerSocket: MAX_GROUPS,
        adapter: new BusAdapter(bus),
      }),
    ),
  );
  for (const g of gateways) installRpc(g);
  const clients: Client[] = [];
  return {
    nodes: 3,
    maxGroups: MAX_GROUPS,
    forgetWithin: 1_000,
    async connect(index) {
      const client = await openClient(`ws://127.0.0.1:${gateways[index]!.port}/ws`);
      clients.push(client);
      return client;
    },
    kill(client) {
      bus.cut(client.node);
      return Promise.resolve();
    },
    async stop() {
      for (const c of clients) c.ws.ws.terminate();
      await Promise.all(gateways.map((g) => g.close({ timeout: 200 })));
    },
  };
}

async function clusterHarness(): Promise<Harness> {
  const app = new ChildApp('../helpers/cluster-app.ts', { PORT: '0', WORKERS: '3', MAX_GROUPS: String(MAX_GROUPS) });
  const listening = await app.waitEvents((e) => e.event === 'listening', 3, 35_000);
  const port = listening[0]!.port as number;
  const nodes = listening.map((e) => e.node as string);
  // The primary hands connections out round-robin: connect until one lands on the wanted worker.
  const spare: Client[] = [];
  return {
    nodes: 3,
    maxGroups: MAX_GROUPS,
    forgetWithin: 1_000,
    async connect(index) {
      for (let i = 0; i < 30; i++) {
        const reused = spare.findIndex((c) => c.node === nodes[index]);
        if (reused !== -1) return spare.splice(reused, 1)[0]!;
        spare.push(await openClient(`ws://127.0.0.1:${port}/ws`));
      }
      throw new Error(`no client landed on worker ${index}`);
    },
    async kill(client) {
      process.kill(client.pid, 'SIGKILL');
      await app.waitEvents((e) => e.event === 'exit' && e.pid === client.pid);
    },
    async stop() {
      for (const c of spare) c.ws.ws.terminate();
      await app.stop();
    },
  };
}

async function redisHarness(): Promise<Harness> {
  const redis = await RedisServer.start();
  const apps = ['N0', 'N1', 'N2'].map(
    (id, i) =>
      new ChildApp('../helpers/redis-node.ts', {
        REDIS_URL: redis.url,
        NODE_ID: id,
        CLIENT: i === 1 ? 'ioredis' : 'node-redis',
        PRESENCE_TTL: '1500',
        REAP_INTERVAL: '200',
        REQUEST_TIMEOUT: '2000',
        MAX_GROUPS: String(MAX_GROUPS),
      }),
  );
  const ports = await Promise.all(
    apps.map(async (app) => (await app.waitEvents((e) => e.event === 'listening', 1, 35_000))[0]!.port as number),
  );
  return {
    nodes: 3,
    maxGroups: MAX_GROUPS,
    forgetWithin: 5_000,
    connect: (index) => openClient(`ws://127.0.0.1:${ports[index]}/ws`),
    async kill(client) {
      const app = apps.find((a) => a.pid === client.pid)!;
      app.child.kill('SIGKILL');
      await app.exited;
    },
    async stop() {
      await Promise.all(apps.map((a) => a.stop()));
      await redis.destroy();
    },
  };
}

// A cluster of one node has no other node to lose: the node-loss case runs for the three multi-node adapters only.
describe.each([
  ['MemoryAdapter', memoryHarness, { nodeLoss: false }],
  ['ScaleOutAdapter over an in-process bus (3 gateways)', busHarness, { nodeLoss: true }],
  ['ClusterAdapter (node:cluster, 3 workers)', clusterHarness, { nodeLoss: true }],
  ['RedisAdapter (3 processes, redis-server)', redisHarness, { nodeLoss: true }],
] as const)('adapter contract: %s', (_name, start, cases) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await start();
  }, 45_000);
  afterAll(async () => {
    await harness?.stop();
  }, 20_000);
  adapterContract(() => harness, cases);
});
