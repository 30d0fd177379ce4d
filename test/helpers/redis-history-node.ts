// One gateway node with history and recovery on a RedisAdapter, as its own process (`node --import tsx`), for the
// multi-node delivery fault tests. Env: REDIS_URL, NODE_ID, PORT (default 0), CLIENT (node-redis | ioredis),
// SIZE (history size), HEARTBEAT (ms between pings; a silent socket is ended after 2 missed).
// Routes: `join` (data: group). Push API with apiKey "k". Prints {event:"listening", port, node};
// {event:"recover", previous}; {event:"close", id, code}; exits when stdin closes or on SIGTERM.
import { Redis as IORedis } from 'ioredis';
import { createClient } from 'redis';
import { createGateway, RedisAdapter, type RedisClientLike } from '../../src/gateway/index.js';
import { report } from './gateway-rpc.js';

const url = process.env.REDIS_URL!;
const client: RedisClientLike =
  process.env.CLIENT === 'ioredis'
    ? new IORedis(url, { lazyConnect: true, retryStrategy: () => 100 })
    : createClient({ url, socket: { reconnectStrategy: () => 100 } });
const gateway = await createGateway({
  port: Number(process.env.PORT ?? 0),
  host: '127.0.0.1',
  nodeId: process.env.NODE_ID,
  heartbeat: { interval: Number(process.env.HEARTBEAT ?? 300), maxMissed: 2 },
  apiKey: 'k',
  adapter: new RedisAdapter({ client, presenceTtl: 1_500, reapInterval: 200, requestTimeout: 3_000 }),
  history: { size: Number(process.env.SIZE ?? 10_000), ttl: 120_000 },
  recovery: { window: 120_000, secret: 'a shared secret of the test nodes' },
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
