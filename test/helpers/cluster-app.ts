// A `node:cluster` app for test/cluster-adapter.test.ts, started as a child process (`node --import tsx`): the
// primary runs a ClusterHub and forks WORKERS workers, each a gateway with a ClusterAdapter listening on the shared
// PORT (0: one free port chosen by the primary, shared by every worker). Prints JSON lines:
// API_KEY sets the gateways' apiKey. {event:"listening", pid, node, port} per worker, {event:"exit", pid, sockets, ...} per death.
import cluster from 'node:cluster';
import { ClusterAdapter, createClusterHub, createGateway } from '../../src/gateway/index.js';
import { installRpc, report } from './gateway-rpc.js';
import { captureHistory, historyOptionsFromEnv, installHistoryRpc } from './history-rpc.js';

const port = Number(process.env.PORT);
const workers = Number(process.env.WORKERS ?? 3);

if (cluster.isPrimary) {
  const hub = createClusterHub({ workers });
  hub.on('exit', (worker, info) => report({ event: 'exit', pid: worker.process.pid, ...info }));
  cluster.on('message', (worker, message: { app?: string; node?: string; port?: number }) => {
    if (message?.app === 'listening')
      report({ event: 'listening', pid: worker.process.pid, node: message.node, port: message.port });
  });
  const stop = (): void => void hub.close(2_000).then(() => process.exit(0));
  process.on('SIGTERM', stop);
  // The test's process is our parent: if it goes away, so do we (and our workers).
  process.stdin.on('end', stop);
  process.stdin.resume();
} else {
  const maxGroupsPerSocket = process.env.MAX_GROUPS === undefined ? undefined : Number(process.env.MAX_GROUPS);
  // HISTORY_SIZE / HISTORY_TTL: history and recovery on, with the history contract's routes (history-rpc.ts).
  const historyOptions = historyOptionsFromEnv();
  const adapter = new ClusterAdapter({ requestTimeout: 2_000 });
  const captured = historyOptions === null ? null : captureHistory(adapter);
  const gateway = await createGateway({
    ...historyOptions,
    port,
    host: '127.0.0.1',
    // HEARTBEAT (ms): ping every so often and end a silent socket after 2 missed (the history fault test).
    heartbeat: process.env.HEARTBEAT === undefined ? false : { interval: Number(process.env.HEARTBEAT), maxMissed: 2 },
    maxGroupsPerSocket,
    adapter,
    ...(process.env.API_KEY !== undefined ? { apiKey: process.env.API_KEY } : {}),
  });
  installRpc(gateway);
  if (captured !== null) installHistoryRpc(gateway, captured.get);
  gateway.on('error', (error) => report({ event: 'error', pid: process.pid, message: String(error) }));
  gateway.on('close', (socket) => report({ event: 'close', pid: process.pid, id: socket.id }));
  gateway.on('recover', (socket, previous) => report({ event: 'recover', pid: process.pid, previous }));
  process.send!({ app: 'listening', node: gateway.nodeId, port: gateway.port });
  process.on('SIGTERM', () => void gateway.close({ timeout: 500 }).then(() => process.exit(0)));
  process.on('disconnect', () => process.exit(0));
}
