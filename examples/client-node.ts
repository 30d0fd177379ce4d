/**
 * The browser client (`wsgate/client`) in Node: Node 20 has no global WebSocket, so wsgate's own is passed with the
 * `WebSocket` option (docs/client.md, "In Node"). Starts a gateway with a `whoami` route, then a client that asks
 * it and receives a push. Run: `npx tsx examples/client-node.ts` (in an application, import from 'wsgate' and
 * 'wsgate/client').
 */
import { pathToFileURL } from 'node:url';
import { WsgateClient } from '../src/gateway/client/wsgate-client.js';
import { createGateway, WebSocket } from '../src/index.js';

export interface ClientRun {
  /** The `whoami` reply. */
  readonly whoami: unknown;
  /** The `news` push's data. */
  readonly news: unknown;
}

export async function run(): Promise<ClientRun> {
  const gateway = await createGateway({ port: 0, host: '127.0.0.1' });
  gateway.route('whoami', ({ socket }) => ({ socketId: socket.id }));
  const client = new WsgateClient(`ws://127.0.0.1:${gateway.port}/ws`, { WebSocket });
  try {
    const news = new Promise<unknown>((resolve) => client.once('news', resolve));
    const whoami = await client.request('whoami');
    await gateway.sendToAll({ type: 'news', data: { title: 'hello' } });
    return { whoami, news: await news };
  } finally {
    client.close();
    await gateway.close();
  }
}

if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  console.log(await run());
}
