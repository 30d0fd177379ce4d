/**
 * The gateway on an Express 5 app's server: WebSocket upgrades go to the gateway, and its HTTP routes (/status,
 * /metrics, /wsgate.js, the push API under /api) answer through `app.use(gateway.httpHandler())`, before Express's
 * own routes. Run: `npx tsx examples/express.ts` (in an application, import from 'wsgate').
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createGateway } from '../src/index.js';
import type { Example } from './example.js';
import { runWhenMain } from './example.js';

export async function start(port = 0, apiKey = 'change-me'): Promise<Example> {
  const app = express();
  const server = createServer(app);
  // `web: {}` turns the built-in routes on (in attach mode they are off unless asked for).
  const gateway = await createGateway({ server, web: {}, apiKey });
  // First, so no body parser reads a push-API body before the gateway does; what the gateway doesn't answer goes on.
  app.use(gateway.httpHandler());
  app.use(express.json());
  app.get('/hello', (_req, res) => {
    res.json({ hello: 'from express' });
  });
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
