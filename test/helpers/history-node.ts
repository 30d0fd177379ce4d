// One gateway node with history and recovery on the memory adapter, as its own process (`node --import tsx`), for
// the delivery fault tests. Env: PORT (default 0), SECRET (recovery secret shared by restarts), SIZE (history size).
// Routes: `join` (data: group). Push API with apiKey "k" (the producer posts to /api/sendToGroup).
// Prints {event:"listening", port, node}; {event:"recover", previous}; exits when stdin closes or on SIGTERM.
import { createGateway } from '../../src/gateway/index.js';
import { report } from './gateway-rpc.js';

const gateway = await createGateway({
  port: Number(process.env.PORT ?? 0),
  host: '127.0.0.1',
  heartbeat: false,
  apiKey: 'k',
  history: { size: Number(process.env.SIZE ?? 10_000), ttl: 120_000 },
  recovery: { window: 120_000, secret: process.env.SECRET ?? 'a shared secret of the test nodes' },
});
gateway.route('join', ({ gateway: g, socket, data }) => g.joinGroup(socket.id, String(data)));
gateway.on('recover', (_socket, previous) => report({ event: 'recover', previous }));
gateway.on('error', (error) => report({ event: 'error', message: String(error) }));
report({ event: 'listening', port: gateway.port, node: gateway.nodeId });

const stop = (): void => void gateway.close({ timeout: 500 }).then(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
