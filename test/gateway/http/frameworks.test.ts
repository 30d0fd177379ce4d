// The gateway attached to Express, Fastify and Koa servers (the examples/ files, run as they are): its HTTP routes
// answer through `gateway.httpHandler()`, the framework's own routes and 404 still work, a push-API body reaches the
// gateway unread by the framework, and WebSocket upgrades go to the gateway.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type WsSocket } from '../../../src/index.js';
import type { Example } from '../../../examples/example.js';
import { start as startExpress } from '../../../examples/express.js';
import { start as startFastify } from '../../../examples/fastify.js';
import { start as startKoa } from '../../../examples/koa.js';

const KEY = 'framework-test-key';
const auth = { Authorization: `Bearer ${KEY}` };

const frameworks: [string, (port: number, apiKey: string) => Promise<Example>][] = [
  ['express', startExpress],
  ['fastify', startFastify],
  ['koa', startKoa],
];

let running: Example | null = null;
let client: WsSocket | null = null;
afterEach(async () => {
  client?.terminate();
  client = null;
  await running?.close();
  running = null;
});

describe.each(frameworks)('%s', (name, start) => {
  it('serves /status, /metrics and /wsgate.js from the gateway, /hello from the framework', async () => {
    running = await start(0, KEY);
    const status = await fetch(`${running.url}/status`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ sockets: 0 });
    const metrics = await fetch(`${running.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('wsgate_sockets');
    const client = await fetch(`${running.url}/wsgate.js`);
    expect(client.status).toBe(200);
    expect(client.headers.get('content-type')).toContain('javascript');
    const hello = await fetch(`${running.url}/hello`);
    expect(hello.status).toBe(200);
    expect(await hello.json()).toEqual({ hello: `from ${name}` });
  });

  it("leaves unknown paths to the framework's 404", async () => {
    running = await start(0, KEY);
    const res = await fetch(`${running.url}/nowhere`);
    expect(res.status).toBe(404);
    // The gateway's 404 is JSON {"error":...}; the framework's is its own, so the gateway did not answer.
    expect(await res.text()).not.toContain('"not_found"');
  });

  it('answers the push API (401 without the key) and delivers a POSTed message to a WebSocket client', async () => {
    running = await start(0, KEY);
    const gateway = running.gateway;
    const connected = new Promise<string>((resolve) => gateway.on('connect', (socket) => resolve(socket.id)));
    const received: string[] = [];
    client = await connect(`${running.url.replace('http', 'ws')}/ws`, {
      handlers: { message: (_socket, data) => void received.push(String(data)) },
    });
    const socketId = await connected;

    const denied = await fetch(`${running.url}/api/sendToAll`, { method: 'POST', body: '{"message":"x"}' });
    expect(denied.status).toBe(401);
    const sent = await fetch(`${running.url}/api/sendToSocket`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ socketId, message: 'pushed' }),
    });
    expect(sent.status).toBe(200);
    expect(await sent.json()).toEqual({ ok: true, delivered: 1 });
    const info = await fetch(`${running.url}/api/sockets/${encodeURIComponent(socketId)}`, { headers: auth });
    expect(await info.json()).toMatchObject({ socketId, online: true });
    await expect.poll(() => received, { timeout: 10_000 }).toContain('pushed');
  });

  it('refuses a push-API body over the limit with 413 and keeps serving', async () => {
    running = await start(0, KEY);
    const huge = JSON.stringify({ message: 'x'.repeat(2 * 1024 * 1024) });
    const res = await fetch(`${running.url}/api/sendToAll`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: huge,
    }).catch((error: unknown) => error);
    // The gateway answers 413 and closes the connection; a client still writing may see the reset instead.
    if (res instanceof Response) {
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    } else {
      expect(res).toBeInstanceOf(Error);
    }
    expect((await fetch(`${running.url}/status`)).status).toBe(200);
    expect((await fetch(`${running.url}/hello`)).status).toBe(200);
  });

  it("leaves the server's request event to the framework once httpHandler() is taken", async () => {
    running = await start(0, KEY);
    // Only the framework's listener: the gateway's own would answer the same requests a second time.
    expect(running.gateway.httpServer.listenerCount('request')).toBe(1);
  });

  it("answers a throwing gateway route with the gateway's 500 and reports it, the process survives", async () => {
    running = await start(0, KEY);
    const errors: unknown[] = [];
    running.gateway.on('error', (error) => void errors.push(error));
    running.gateway.web!.get('/boom', () => {
      throw new Error('route failed');
    });
    const res = await fetch(`${running.url}/boom`);
    expect(res.status).toBe(500);
    expect(errors).toHaveLength(1);
    expect((await fetch(`${running.url}/status`)).status).toBe(200);
  });
});
