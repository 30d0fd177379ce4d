// The gateway core's HTTP side: its own node:http server (standalone) or yours (attach), `http` hooks tried in
// order, JSON 404/426/500 for the rest, `stats()` for /status-like handlers, and shutdown of what the gateway owns.
// (The HTTP API itself — /status, /metrics, /api/* — is tested in gateway-http.test.ts.)
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, sendJson, type Gateway } from '../../../src/gateway/index.js';
import { cleanup, httpUrl, open, startGateway, TestClient, waitFor } from '../helpers.js';

const servers: Server[] = [];
const attached: Gateway[] = [];
afterEach(async () => {
  await Promise.all(attached.splice(0).map((g) => g.close({ timeout: 100 })));
  await cleanup();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function get(url: string): Promise<{ status: number; type: string | null; body: unknown }> {
  const res = await fetch(url);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, type: res.headers.get('content-type'), body };
}

describe('standalone (the gateway owns the HTTP server)', () => {
  it('unhandled requests get a JSON 404; plain GETs of the WebSocket path a JSON 426', async () => {
    const gw = await startGateway();
    expect(await get(httpUrl(gw, '/nope'))).toEqual({
      status: 404,
      type: 'application/json; charset=utf-8',
      body: { error: { code: 'not_found', message: 'not found' } },
    });
    expect((await get(httpUrl(gw, '/ws?x=1'))).body).toEqual({
      error: { code: 'upgrade_required', message: 'this is a WebSocket endpoint' },
    });
    expect((await get(httpUrl(gw, '/ws'))).status).toBe(426);
  });

  it('the http option and addHttpHandler hooks run in order; false passes on', async () => {
    const calls: string[] = [];
    const gw = await startGateway({
      http: (req, res, gateway) => {
        calls.push(`first ${req.url}`);
        if (req.url !== '/status') return false;
        sendJson(res, 200, { sockets: gateway.stats().sockets, nodeId: gateway.nodeId });
        return true;
      },
    });
    const remove = gw.addHttpHandler(async (req, res) => {
      calls.push(`second ${req.url}`);
      if (req.url !== '/hello') return false;
      res.end('hi');
      return true;
    });
    await open(gw);
    expect(await get(httpUrl(gw, '/status'))).toMatchObject({ status: 200, body: { sockets: 1, nodeId: gw.nodeId } });
    expect(await get(httpUrl(gw, '/hello'))).toMatchObject({ status: 200, body: 'hi' });
    expect((await get(httpUrl(gw, '/other'))).status).toBe(404);
    expect(calls).toEqual(['first /status', 'first /hello', 'second /hello', 'first /other', 'second /other']);
    remove();
    expect((await get(httpUrl(gw, '/hello'))).status).toBe(404);
  });

  it('a hook that throws → JSON 500, reported on the error event', async () => {
    const gw = await startGateway({
      http: async () => {
        throw new Error('router bug');
      },
    });
    const errors: unknown[] = [];
    gw.on('error', (e) => errors.push(e));
    expect(await get(httpUrl(gw, '/x'))).toMatchObject({ status: 500, body: { error: { code: 'internal_error' } } });
    expect((errors[0] as Error).message).toBe('router bug');
  });

  it('exposes its HTTP server and closes it on shutdown', async () => {
    const gw = await startGateway();
    expect(gw.httpServer.listening).toBe(true);
    const port = gw.port;
    await gw.close();
    expect(gw.httpServer.listening).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('a custom path', async () => {
    const gw = await startGateway({ path: '/realtime' });
    gw.route('ping', () => 'pong');
    const c = await TestClient.open(`ws://127.0.0.1:${gw.port}/realtime`);
    expect((await c.request('ping')).data).toBe('pong');
    await expect(TestClient.open(`ws://127.0.0.1:${gw.port}/ws`)).rejects.toThrow('HTTP 404');
  });
});

describe('attach (your HTTP server)', () => {
  async function userServer(): Promise<{ server: Server; port: number }> {
    const server = createServer((req, res) => {
      if (req.url === '/mine') res.end('mine');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, port: (server.address() as AddressInfo).port };
  }

  it('serves WebSockets on your server and leaves its requests alone', async () => {
    const { server, port } = await userServer();
    const gw = await createGateway({ server });
    attached.push(gw);
    gw.route('ping', () => 'pong');
    expect(gw.httpServer).toBe(server);
    expect(gw.port).toBe(port);
    const c = await TestClient.open(`ws://127.0.0.1:${port}/ws`);
    expect((await c.request('ping')).data).toBe('pong');
    expect(await (await fetch(`http://127.0.0.1:${port}/mine`)).text()).toBe('mine');
    await gw.close();
    expect(server.listening).toBe(true);
    expect((await c.closed).code).toBe(1001);
  });

  it('with an http hook, handles requests on your server too', async () => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const gw = await createGateway({
      server,
      http: (req, res) => {
        if (req.url !== '/hook') return false;
        res.end('hooked');
        return true;
      },
    });
    attached.push(gw);
    const port = (server.address() as AddressInfo).port;
    expect(await (await fetch(`http://127.0.0.1:${port}/hook`)).text()).toBe('hooked');
    expect((await fetch(`http://127.0.0.1:${port}/x`)).status).toBe(404);
  });

  it('addHttpHandler on an attached gateway starts listening to requests once, however often hooks come and go', async () => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const gw = await createGateway({ server });
    attached.push(gw);
    expect(server.listenerCount('request')).toBe(0);
    const hook = (_req: unknown, res: ServerResponse): boolean => {
      res.end('late');
      return true;
    };
    gw.addHttpHandler(hook)();
    gw.addHttpHandler(hook);
    expect(server.listenerCount('request')).toBe(1);
    const port = (server.address() as AddressInfo).port;
    expect(await (await fetch(`http://127.0.0.1:${port}/any`)).text()).toBe('late');
    await gw.close();
    expect(server.listenerCount('request')).toBe(0);
  });

  it('refuses port and server together', async () => {
    const { server } = await userServer();
    await expect(createGateway({ server, port: 0 })).rejects.toThrow(TypeError);
  });
});

describe('stats()', () => {
  it('counts sockets, uids, groups, messages in and out, uptime', async () => {
    const gw = await startGateway();
    gw.route('join', async ({ gateway, socket }) => {
      await gateway.bindUid(socket.id, 'u');
      await gateway.joinGroup(socket.id, 'g');
      return true;
    });
    const a = await open(gw);
    const b = await open(gw);
    await a.request('join');
    await b.request('join');
    await gw.sendToAll('x');
    const s = gw.stats();
    expect(s).toMatchObject({
      sockets: 2,
      uids: 1,
      groups: 1,
      connections: 2,
      messagesIn: 2,
      messagesOut: 4,
      messagesDropped: 0,
    });
    expect(typeof s.uptime).toBe('number');
    expect(s.startedAt).toBeLessThanOrEqual(Date.now());
    a.ws.close();
    await waitFor(() => gw.stats().sockets === 1);
  });
});
