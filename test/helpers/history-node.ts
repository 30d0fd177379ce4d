// One gateway node with history and recovery on, as its own process (`node --import tsx`), for the delivery fault
// tests: on the memory adapter, or on a RedisAdapter when REDIS_URL is set (the multi-node tests).
// Env: PORT (default 0), SECRET (recovery secret shared by the nodes and restarts), SIZE (history size);
// with REDIS_URL also NODE_ID, CLIENT (node-redis | ioredis) and HEARTBEAT (ms between pings, default 300; a silent
// socket is ended after 2 missed; without Redis the heartbeat is off unless HEARTBEAT is set).
// Routes: `join` (data: group). Push API with apiKey "k" (the producer posts to /api/sendToGroup).
// Prints {event:"listening", port, node}; {event:"recover", previous}; {event:"close", id, code}; exits when stdin
// closes or on SIGTERM.
import { createGateway, RedisAdapter } from '../../src/gateway/index.js';
import { report } from './gateway-rpc.js';
import { redisClient } from './redis-client.js';

const url = process.env.REDIS_URL;
const heartbeat = process.env.HEARTBEAT ?? (url === undefined ? undefined : '300');
const gateway = await createGateway({
  port: Number(process.env.PORT ?? 0),
  host: '127.0.0.1',
  ...(process.env.NODE_ID !== undefined ? { nodeId: process.env.NODE_ID } : {}),
  heartbeat: heartbeat === undefined ? false : { interval: Number(heartbeat), maxMissed: 2 },
  apiKey: 'k',
  ...(url === undefined
    ? {}
    : {
        adapter: new RedisAdapter({
          client: redisClient({ url }, process.env.CLIENT === 'ioredis' ? 'ioredis' : 'node-redis'),
          presenceTtl: 1_500,
          reapInterval: 200,
          requestTimeout: 3_000,
        }),
      }),
  history: { size: Number(process.env.SIZE ?? 10_000), ttl: 120_000 },
  recovery: { window: 120_000, secret: process.env.SECRET ?? 'a shared secret of the test nodes' },
});
gateway.route('join', ({ gateway: g, socket, data }) => g.joinGroup(socket.id, String(data)));
gateway.on('recover', (_socket, previous) => report({ event: 'recover', previous }));
gateway.on('close', (socket, code) => report({ event: 'close', id: socket.id, code }));
gateway.on('error', (error) => report({ event: 'error', message: String(error) }));
report({ event: 'listening', port: gateway.port, node: gateway.nodeId });

const stop = (): void => void gateway.close({ timeout: 500 }).then(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
