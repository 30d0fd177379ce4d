/**
 * The gateway on a Koa 3 app's server: WebSocket upgrades go to the gateway, and its HTTP routes answer from the
 * first Koa middleware; a request the gateway answered is marked `ctx.respond = false` so Koa sends nothing more.
 * Run: `npx tsx examples/koa.ts`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { createGateway } from '../src/index.js';
import type { Example } from './example.js';
import { runWhenMain } from './example.js';

export async function start(port = 0, apiKey = 'change-me'): Promise<Example> {
  const app = new Koa();
  const server = createServer();
  const gateway = await createGateway({ server, web: {}, apiKey });
  const gatewayHttp = gateway.httpHandler();
  app.use(async (ctx, next) => {
    if (await gatewayHttp(ctx.req, ctx.res)) ctx.respond = false;
    else await next();
  });
  app.use(async (ctx, next) => {
    if (ctx.path !== '/hello') return next();
    ctx.body = { hello: 'from koa' };
  });
  // Koa composes its middleware when `callback()` is called: after the `app.use` calls.
  server.on('request', app.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    gateway,
    async close() {
      await gateway.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

runWhenMain(import.meta.url, start);
