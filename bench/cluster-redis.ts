// Scale-out benchmark: three gateway nodes as separate processes, once over one redis-server (RedisAdapter) and once
// as node:cluster workers sharing a port (ClusterAdapter). For each:
//   - cross-node sendToGroup throughput: one node sends to a group whose members are spread over all three nodes
//     (64 sends in flight); every call resolves only once each node acknowledged how many sockets it wrote to;
//   - sendToUid latency across nodes: one node sends to a uid whose only socket is on another node, one call at a
//     time; p50/p99 of the time until the call resolved (delivery written and acknowledged).
// Prints a table. Run: npx tsx bench/cluster-redis.ts [--members 150] [--sends 10000] [--pings 2000]
// Needs redis-server (apt-get install -y --no-install-recommends redis-server) and the devDependencies redis + ioredis.
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { ChildApp, stopAllApps } from '../test/helpers/child-app.js';
import type { BurstResult, RpcResult } from '../test/helpers/gateway-rpc.js';
import { RedisServer } from '../test/helpers/redis-server.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const MEMBERS = arg('members', 150);
const SENDS = arg('sends', 10_000);
const PINGS = arg('pings', 2_000);
const CONCURRENCY = 64;

const fixture = (name: string): string => fileURLToPath(new URL(`../test/helpers/${name}`, import.meta.url));

/** A bench client: counts what it receives, can call the node it is connected to. */
class Client {
  received = 0;
  private nextId = 1;
  private readonly replies = new Map<number, (data: unknown) => void>();
  id = '';
  node = '';

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      if (data[0] === 0x7b /* { */) {
        const m = JSON.parse(data.toString()) as { id?: number; data?: unknown; type?: string };
        const reply = m.id === undefined ? undefined : this.replies.get(m.id);
        if (reply !== undefined) {
          this.replies.delete(m.id!);
          return reply(m.data);
        }
      }
      this.received++;
    });
  }

  static async open(url: string): Promise<Client> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const client = new Client(ws);
    const who = (await client.request('whoami')) as { id: string; node: string };
    client.id = who.id;
    client.node = who.node;
    return client;
  }

  request(type: string, data?: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.replies.set(id, resolve);
      this.ws.send(JSON.stringify({ type, id, data }));
    });
  }

  async call(method: string, ...args: unknown[]): Promise<unknown> {
    const result = (await this.request('call', { method, args })) as RpcResult;
    if ('err' in result) throw new Error(`${method}: ${result.err}: ${result.message}`);
    return result.ok;
  }
}

interface Row {
  transport: string;
  groupSendsPerSec: number;
  deliveriesPerSec: number;
  groupFailed: number;
  uidP50: number;
  uidP99: number;
  uidFailed: number;
}

async function measure(transport: string, clients: Client[]): Promise<Row> {
  const nodes = [...new Set(clients.map((c) => c.node))];
  if (nodes.length !== 3) throw new Error(`expected clients on 3 nodes, got ${nodes.length}`);
  const [driver] = clients;
  const members = clients.slice(1);
  for (const m of members) await driver!.call('joinGroup', m.id, 'room');
  const target = clients.find((c) => c.node !== driver!.node)!;
  await driver!.call('bindUid', target.id, 'target');

  // Warm-up, then sendToGroup throughput.
  await driver!.request('burst', { method: 'sendToGroup', args: ['room', 'w'], count: 500, concurrency: CONCURRENCY });
  for (const c of clients) c.received = 0;
  const group = (await driver!.request('burst', {
    method: 'sendToGroup',
    args: ['room', 'hello room'],
    count: SENDS,
    concurrency: CONCURRENCY,
  })) as BurstResult;
  const expected = SENDS * members.length;
  const deadline = Date.now() + 10_000;
  while (members.reduce((n, c) => n + c.received, 0) < group.total && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const got = members.reduce((n, c) => n + c.received, 0);
  if (group.failed === 0 && group.total !== expected)
    throw new Error(`sendToGroup reported ${group.total} deliveries, expected ${expected}`);
  if (got !== group.total) throw new Error(`clients received ${got} messages, sendToGroup reported ${group.total}`);

  // sendToUid across nodes, one at a time.
  await driver!.request('burst', { method: 'sendToUid', args: ['target', 'w'], count: 200, concurrency: 1 });
  const uid = (await driver!.request('burst', {
    method: 'sendToUid',
    args: ['target', 'ping'],
    count: PINGS,
    concurrency: 1,
  })) as BurstResult;
  return {
    transport,
    groupSendsPerSec: Math.round((SENDS / group.ms) * 1000),
    deliveriesPerSec: Math.round((group.total / group.ms) * 1000),
    groupFailed: group.failed,
    uidP50: uid.p50,
    uidP99: uid.p99,
    uidFailed: uid.failed,
  };
}

async function redisRow(): Promise<Row> {
  const redis = await RedisServer.start();
  try {
    const apps = ['node-redis', 'ioredis', 'node-redis'].map(
      (kind, i) => new ChildApp(fixture('redis-node.ts'), { REDIS_URL: redis.url, NODE_ID: `n${i}`, CLIENT: kind }),
    );
    const ports = await Promise.all(
      apps.map(async (a) => (await a.waitEvents((e) => e.event === 'listening'))[0]!.port as number),
    );
    const clients: Client[] = [];
    for (let i = 0; i <= MEMBERS; i++) clients.push(await Client.open(`ws://127.0.0.1:${ports[i % 3]}/ws`));
    const row = await measure('Redis (3 processes, 1 redis-server)', clients);
    for (const c of clients) c.ws.terminate();
    return row;
  } finally {
    await stopAllApps();
    await redis.destroy();
  }
}

async function clusterRow(): Promise<Row> {
  const app = new ChildApp(fixture('cluster-app.ts'), { PORT: '0', WORKERS: '3' });
  try {
    const port = (await app.waitEvents((e) => e.event === 'listening', 3, 30_000))[0]!.port as number;
    const clients: Client[] = [];
    for (let i = 0; i <= MEMBERS; i++) clients.push(await Client.open(`ws://127.0.0.1:${port}/ws`));
    const row = await measure('node:cluster (3 workers)', clients);
    for (const c of clients) c.ws.terminate();
    return row;
  } finally {
    await stopAllApps();
  }
}

const rows = [await redisRow(), await clusterRow()];
const fmt = (n: number): string => n.toLocaleString('en-US');
console.log(
  `\nwsgate scale-out: ${MEMBERS} group members spread over 3 nodes; sender on one of them (${CONCURRENCY} sends in flight)`,
);
console.log(`node ${process.version}, ${SENDS} sendToGroup, ${PINGS} sendToUid\n`);
console.log('| transport | sendToGroup calls/s | messages delivered/s | sendToUid p50 | sendToUid p99 | failed |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.transport} | ${fmt(r.groupSendsPerSec)} | ${fmt(r.deliveriesPerSec)} | ${r.uidP50.toFixed(2)} ms | ${r.uidP99.toFixed(2)} ms | ${r.groupFailed + r.uidFailed} |`,
  );
}
process.exit(0);
