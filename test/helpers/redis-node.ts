// One gateway node with a RedisAdapter, as its own process (`node --import tsx`), for the SIGKILL fault test and the
// cluster benchmark and the adapter contract. Env: REDIS_URL, NODE_ID, CLIENT (node-redis | ioredis), PRESENCE_TTL,
// REAP_INTERVAL, MAX_GROUPS, REQUEST_TIMEOUT, API_KEY, HISTORY_SIZE, HISTORY_TTL.
// Prints {event:"listening", port, node}; exits when stdin closes or on SIGTERM.
import { createGateway, RedisAdapter } from '../../src/gateway/index.js';
import { installRpc, report } from './gateway-rpc.js';
import { captureHistory, historyOptionsFromEnv, installHistoryRpc } from './history-rpc.js';
import { redisClient } from './redis-client.js';

const client = redisClient(
  { url: process.env.REDIS_URL! },
  process.env.CLIENT === 'ioredis' ? 'ioredis' : 'node-redis',
);
const adapter = new RedisAdapter({
  client,
  presenceTtl: Number(process.env.PRESENCE_TTL ?? 20_000),
  ...(process.env.REAP_INTERVAL !== undefined ? { reapInterval: Number(process.env.REAP_INTERVAL) } : {}),
  ...(process.env.REQUEST_TIMEOUT !== undefined ? { requestTimeout: Number(process.env.REQUEST_TIMEOUT) } : {}),
});
// HISTORY_SIZE / HISTORY_TTL: history and recovery on, with the history contract's routes (history-rpc.ts).
const historyOptions = historyOptionsFromEnv();
const captured = historyOptions === null ? null : captureHistory(adapter);
const gateway = await createGateway({
  ...historyOptions,
  port: 0,
  host: '127.0.0.1',
  heartbeat: false,
  adapter,
  ...(process.env.MAX_GROUPS !== undefined ? { maxGroupsPerSocket: Number(process.env.MAX_GROUPS) } : {}),
  ...(process.env.NODE_ID !== undefined ? { nodeId: process.env.NODE_ID } : {}),
  ...(process.env.API_KEY !== undefined ? { apiKey: process.env.API_KEY } : {}),
});
installRpc(gateway);
if (captured !== null) installHistoryRpc(gateway, captured.get);
gateway.on('error', (error) => report({ event: 'error', message: String(error) }));
report({ event: 'listening', port: gateway.port, node: gateway.nodeId });

const stop = (): void => void gateway.close({ timeout: 500 }).then(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
