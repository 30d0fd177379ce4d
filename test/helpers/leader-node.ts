// Gateway nodes running one cluster-scoped timer, for the leader failover test (test/gateway/core/
// cluster-timer.failover.test.ts). MODE=redis: one node with a RedisAdapter (REDIS_URL, NODE_ID); MODE=cluster: a
// node:cluster primary with a ClusterHub forking WORKERS workers, each a gateway with a ClusterAdapter. Every node
// runs `every(INTERVAL, tick, { scope: 'cluster', leaseTtl: LEASE_TTL })` and prints one JSON line per tick:
// {event:"tick", node, pid, at}; and {event:"listening", node, pid} once started. Not a test file itself.
import cluster from 'node:cluster';
import { createClient } from 'redis';
import {
  ClusterAdapter,
  createClusterHub,
  createGateway,
  RedisAdapter,
  type Adapter,
} from '../../src/gateway/index.js';
import { report } from './gateway-rpc.js';

const interval = Number(process.env.INTERVAL ?? 200);
const leaseTtl = Number(process.env.LEASE_TTL ?? 1_500);
const mode = process.env.MODE;

async function node(adapter: Adapter): Promise<void> {
  const gateway = await createGateway({
    port: 0,
    host: '127.0.0.1',
    heartbeat: false,
    adapter,
    ...(process.env.NODE_ID !== undefined ? { nodeId: process.env.NODE_ID } : {}),
  });
  gateway.on('error', (error) => report({ event: 'error', pid: process.pid, message: String(error) }));
  gateway.every(interval, () => report({ event: 'tick', node: gateway.nodeId, pid: process.pid, at: Date.now() }), {
    scope: 'cluster',
    leaseTtl,
    name: 'failover-test',
  });
  report({ event: 'listening', node: gateway.nodeId, pid: process.pid });
  process.on('SIGTERM', () => void gateway.close({ timeout: 200 }).then(() => process.exit(0)));
}

if (mode === 'redis') {
  const client = createClient({ url: process.env.REDIS_URL!, socket: { reconnectStrategy: () => 100 } });
  await node(new RedisAdapter({ client }));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
} else if (cluster.isPrimary) {
  const hub = createClusterHub({ workers: Number(process.env.WORKERS ?? 3) });
  hub.on('exit', (worker, info) => report({ event: 'exit', pid: worker.process.pid, signal: info.signal }));
  const stop = (): void => void hub.close(2_000).then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
} else {
  await node(new ClusterAdapter());
  process.on('disconnect', () => process.exit(0));
}
