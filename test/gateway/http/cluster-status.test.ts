// `/status` and `/metrics` report the whole deployment whichever node answers: three Redis nodes (two in this
// process, one a child process) on a real redis-server, and three node:cluster workers behind one port. Per-node
// breakdown, Prometheus samples labelled per node, sums that agree with the presence store, process details only
// with the API key, and a SIGKILLed node dropping out of the view.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../src/gateway/index.js';
import { cleanup, httpUrl, open, TestClient } from '../helpers.js';
import { ChildApp, stopAllApps } from '../../helpers/child-app.js';
import { RedisServer } from '../../helpers/redis-server.js';
import { redisNode } from '../../helpers/redis-nodes.js';

const KEY = 'status-key';
const servers: RedisServer[] = [];

afterEach(async () => {
  await cleanup();
  await stopAllApps();
  await Promise.all(servers.splice(0).map((s) => s.destroy()));
});

afterAll(async () => {
  await stopAllApps();
});

interface NodeBody {
  nodeId: string;
  sockets: number;
  uids: number;
  groups: number;
  messagesIn: number;
  pid?: number;
  memory?: { rss: number };
  errorsByCode: Record<string, number>;
}

interface StatusBody {
  nodeId: string;
  pid?: number;
  cluster: {
    nodes: number;
    presence: { sockets: number; uids: number; groups: number };
    totals: Record<string, number> & { errorsByCode: Record<string, number> };
  };
  nodes: NodeBody[];
}

async function status(base: string, key?: string): Promise<StatusBody> {
  const res = await fetch(`${base}/status`, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as StatusBody;
}

async function metrics(base: string, key?: string): Promise<string> {
  const res = await fetch(`${base}/metrics`, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return res.text();
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeout = 15_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('cluster-wide /status and /metrics', () => {
  it('Redis: every node, from any node; agree with presence; a SIGKILLed node drops out', async () => {
    const redis = await RedisServer.start();
    servers.push(redis);
    const ttl = 1_500;
    const opts = { presenceTtl: ttl, reapInterval: 200 };
    const a: Gateway = await redisNode(redis, 'A', 'node-redis', opts, { apiKey: KEY });
    const b: Gateway = await redisNode(redis, 'B', 'ioredis', opts, { apiKey: KEY });
    const child = new ChildApp('./redis-node.ts', {
      REDIS_URL: redis.url,
      NODE_ID: 'C',
      CLIENT: 'node-redis',
      PRESENCE_TTL: String(ttl),
      REAP_INTERVAL: '200',
      API_KEY: KEY,
    });
    const [listening] = await child.waitEvents((e) => e.event === 'listening');
    const childBase = `http://127.0.0.1:${listening!.port as number}`;
    const onA = await Promise.all([open(a), open(a)]);
    await open(b);
    const onC = await Promise.all([0, 1, 2].map(() => TestClient.open(`${childBase.replace('http', 'ws')}/ws`)));
    const cIds = await Promise.all(onC.map(async (c) => ((await c.request('whoami')).data as { id: string }).id));
    await a.bindUid(cIds[0]!, 'carol');
    await a.joinGroup(cIds[1]!, 'room');
    // A bad envelope on C: counted by code, visible from A.
    onC[2]!.send('not json');
    await onC[2]!.next();
    void onA;

    const fromA = await until('the three nodes in /status', async () => {
      const s = await status(httpUrl(a).replace(/\/$/, ''));
      return s.nodes.length === 3 && s.nodes[2]!.errorsByCode.bad_json === 1 ? s : undefined;
    });
    expect(fromA.nodeId).toBe('A');
    expect(fromA.nodes.map((n) => [n.nodeId, n.sockets])).toEqual([
      ['A', 2],
      ['B', 1],
      ['C', 3],
    ]);
    expect(fromA.cluster.nodes).toBe(3);
    expect(fromA.cluster.totals.sockets).toBe(6);
    expect(fromA.cluster.presence).toEqual({ sockets: 6, uids: 1, groups: 1 });
    expect(fromA.cluster.presence.sockets).toBe(await a.socketCount());
    expect(fromA.cluster.totals.errorsByCode.bad_json).toBe(1);
    // Without the key: counts only, for every node.
    expect(fromA.pid).toBeUndefined();
    expect(fromA.nodes.every((n) => n.pid === undefined && n.memory === undefined)).toBe(true);
    const keyed = await status(childBase, KEY);
    expect(keyed.nodeId).toBe('C');
    expect(keyed.nodes.map((n) => n.nodeId)).toEqual(['C', 'A', 'B']);
    expect(keyed.nodes[0]!.pid).toBe(child.pid);
    expect(keyed.nodes.find((n) => n.nodeId === 'A')!.pid).toBe(process.pid);
    expect(keyed.nodes.every((n) => (n.memory?.rss ?? 0) > 0)).toBe(true);

    const text = await metrics(httpUrl(b).replace(/\/$/, ''));
    expect(text).toContain('wsgate_sockets{node_id="A"} 2');
    expect(text).toContain('wsgate_sockets{node_id="B"} 1');
    expect(text).toContain('wsgate_sockets{node_id="C"} 3');
    expect(text).toContain('wsgate_cluster_sockets 6');
    expect(text).toContain('wsgate_cluster_nodes 3');
    expect(text).toContain('wsgate_errors_by_code_total{node_id="C",code="bad_json"} 1');
    expect(text).not.toMatch(/^process_/m);
    expect(await metrics(httpUrl(b).replace(/\/$/, ''), KEY)).toMatch(
      new RegExp(`^process_resident_memory_bytes\\{node_id="C"\\} \\d+`, 'm'),
    );

    // Anyone may ask /status: 60 requests at once, without the key, make at most a couple of gatherings (one
    // fan-out to the nodes each), not 60.
    const adapter = (a as Gateway & { adapter: { nodeReports(): Promise<unknown> } }).adapter;
    const original = adapter.nodeReports.bind(adapter);
    let gatherings = 0;
    adapter.nodeReports = () => {
      gatherings++;
      return original();
    };
    const burst = await Promise.all(Array.from({ length: 60 }, () => status(httpUrl(a).replace(/\/$/, ''))));
    expect(burst.every((s) => s.cluster.nodes === 3)).toBe(true);
    expect(gatherings).toBeLessThanOrEqual(2);
    adapter.nodeReports = original;

    const killedAt = Date.now();
    child.child.kill('SIGKILL');
    await child.exited;
    const after = await until('C out of /status and presence', async () => {
      const s = await status(httpUrl(a).replace(/\/$/, ''));
      return s.nodes.length === 2 && s.cluster.presence.sockets === s.cluster.totals.sockets ? s : undefined;
    });
    const droppedIn = Date.now() - killedAt;
    console.log(
      `redis: a SIGKILLed node left /status and presence ${droppedIn} ms after the kill (presenceTtl ${ttl})`,
    );
    expect(after.nodes.map((n) => n.nodeId)).toEqual(['A', 'B']);
    expect(after.cluster.presence).toEqual({ sockets: 3, uids: 0, groups: 0 });
    expect(droppedIn).toBeLessThan(ttl + 200 + 3_000);
  }, 60_000);

  it('Redis: a stalled node (SIGSTOP) is left out after at most 2 s, and is back once it runs again', async () => {
    const redis = await RedisServer.start();
    servers.push(redis);
    const a: Gateway = await redisNode(redis, 'A', 'node-redis');
    const child = new ChildApp('./redis-node.ts', { REDIS_URL: redis.url, NODE_ID: 'S', CLIENT: 'ioredis' });
    await child.waitEvents((e) => e.event === 'listening');
    const base = httpUrl(a).replace(/\/$/, '');
    await until('both nodes', async () => ((await status(base)).nodes.length === 2 ? true : undefined));
    process.kill(child.pid, 'SIGSTOP');
    try {
      // Past the reuse window of the last gathering, then time one that has to wait for the stalled node.
      await new Promise((resolve) => setTimeout(resolve, 600));
      const started = Date.now();
      const stalled = await status(base);
      const took = Date.now() - started;
      console.log(`redis: /status with a stalled node answered in ${took} ms`);
      expect(stalled.nodes.map((n) => n.nodeId)).toEqual(['A']);
      expect(took).toBeLessThan(2_000 + 1_500);
    } finally {
      process.kill(child.pid, 'SIGCONT');
    }
    await until('the node back', async () => ((await status(base)).nodes.length === 2 ? true : undefined));
  }, 60_000);

  it('node:cluster: every worker, whichever answers', async () => {
    const app = new ChildApp('./cluster-app.ts', { PORT: '0', WORKERS: '3', API_KEY: KEY });
    const listening = await app.waitEvents((e) => e.event === 'listening', 3, 30_000);
    const base = `http://127.0.0.1:${listening[0]!.port as number}`;
    const pids = new Set(listening.map((e) => e.pid as number));
    const clients = await Promise.all([0, 1, 2, 3, 4].map(() => TestClient.open(`${base.replace('http', 'ws')}/ws`)));
    const who = await Promise.all(clients.map(async (c) => (await c.request('whoami')).data as { node: string }));
    const perNode = new Map<string, number>();
    for (const w of who) perNode.set(w.node, (perNode.get(w.node) ?? 0) + 1);
    // Several requests: the kernel spreads them over the workers; each answers for all three.
    const answeredBy = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const s = await status(base, KEY);
      answeredBy.add(s.pid!);
      expect(s.cluster.nodes).toBe(3);
      expect(new Set(s.nodes.map((n) => n.pid))).toEqual(pids);
      expect(s.cluster.totals.sockets).toBe(5);
      expect(s.cluster.presence.sockets).toBe(5);
      for (const n of s.nodes) expect(n.sockets).toBe(perNode.get(n.nodeId) ?? 0);
    }
    expect(answeredBy.size).toBeGreaterThan(1);
    const text = await metrics(base);
    for (const [node, count] of perNode) expect(text).toContain(`wsgate_sockets{node_id="${node}"} ${count}`);
    expect(text).toContain('wsgate_cluster_sockets 5');
  }, 60_000);
});
