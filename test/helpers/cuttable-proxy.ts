// A TCP proxy for delivery fault tests (not a test file itself): `cut()` drops the client side mid-stream and
// black-holes the gateway side (no close frame, no FIN: the gateway only learns of it from its heartbeat);
// `blocked` refuses new connections; `target` may be changed to send the next connection to another node.
// Shared by the one-node, cluster and Redis delivery fault tests.
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
/** A TCP proxy whose `cut()` drops the client side and black-holes the gateway side (the gateway never notices). */
export class CuttableProxy {
  private readonly live = new Set<{ client: Socket; upstream: Socket }>();
  private readonly holes: Socket[] = [];
  /** While true, new connections are dropped at once (the network is down for this client). */
  blocked = false;

  private constructor(
    private readonly server: Server,
    public target: number,
  ) {}

  static async start(target: number): Promise<CuttableProxy> {
    const server = createServer();
    const proxy = new CuttableProxy(server, target);
    server.on('connection', (client) => proxy.pair(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  private pair(client: Socket): void {
    if (this.blocked) return void client.destroy();
    const upstream = netConnect(this.target, '127.0.0.1');
    const pair = { client, upstream };
    this.live.add(pair);
    const end = (): void => {
      if (!this.live.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Cuts every client off mid-stream: no close frame, no FIN to the gateway, which keeps writing into the void. */
  cut(): void {
    for (const pair of [...this.live]) {
      this.live.delete(pair);
      pair.upstream.unpipe(pair.client);
      pair.client.unpipe(pair.upstream);
      pair.upstream.removeAllListeners('close');
      pair.upstream.on('data', () => undefined); // read and drop what the gateway still sends
      this.holes.push(pair.upstream);
      pair.client.destroy();
    }
  }

  async close(): Promise<void> {
    this.cut();
    for (const hole of this.holes) hole.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
