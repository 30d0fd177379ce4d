/**
 * The gateway on a Fastify 5 server: WebSocket upgrades go to the gateway (attached to `app.server`), and its HTTP
 * routes answer from an `onRequest` hook, which runs before Fastify routes or parses a body; a request the gateway
 * answered is hijacked so Fastify sends nothing more. Run: `npx tsx examples/fastify.ts`.
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { createGateway } from '../src/index.js';
import type { Example } from './example.js';
import { runWhenMain } from './example.js';

export async function start(port = 0, apiKey = 'change-me'): Promise<Example> {
  const app = Fastify();
  const gateway = await createGateway({ server: app.server, web: {}, apiKey });
  const gatewayHttp = gateway.httpHandler();
  app.addHook('onRequest', async (request, reply) => {
    if (await gatewayHttp(request.raw, reply.raw)) reply.hijack();
  });
  app.get('/hello', async () => ({ hello: 'from fastify' }));
  await app.listen({ port, host: '127.0.0.1' });
  const { port: bound } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    gateway,
    async close() {
      await gateway.close();
      await app.close();
    },
  };
}

runWhenMain(import.meta.url, start);
