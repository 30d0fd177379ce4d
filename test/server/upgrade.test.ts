// The server side of the opening handshake over real sockets: refusals carry the right status and a body that
// names the problem; origin allow-list; the authorize hook; oversized request heads; a repeated Host header.
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/server.js';
import { reject } from '../../src/server/upgrade.js';
import { openStalled, RawClient, rawHttp, upgradeRequest } from '../helpers/raw.js';
import { cleanupAll, onCleanup, Recorder, startServer, WsClient } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

describe('bad handshakes', () => {
  const cases: {
    name: string;
    request: (port: number) => string;
    status: number;
    body: RegExp;
    headers?: Record<string, string>;
  }[] = [
    {
      name: 'missing Sec-WebSocket-Key',
      request: (p) => upgradeRequest(p, { headers: { 'Sec-WebSocket-Key': null } }),
      status: 400,
      body: /Sec-WebSocket-Key/,
    },
    {
      name: 'a key that is not base64 of 16 bytes',
      request: (p) => upgradeRequest(p, { key: 'dG9vIHNob3J0' }),
      status: 400,
      body: /Sec-WebSocket-Key/,
    },
    {
      name: 'a key with garbage',
      request: (p) => upgradeRequest(p, { key: '!!!!!!!!!!!!!!!!!!!!!!==' }),
      status: 400,
      body: /Sec-WebSocket-Key/,
    },
    {
      name: 'wrong version',
      request: (p) => upgradeRequest(p, { headers: { 'Sec-WebSocket-Version': '8' } }),
      status: 426,
      body: /Sec-WebSocket-Version/,
      headers: { 'sec-websocket-version': '13' },
    },
    {
      name: 'missing version',
      request: (p) => upgradeRequest(p, { headers: { 'Sec-WebSocket-Version': null } }),
      status: 426,
      body: /Sec-WebSocket-Version/,
      headers: { 'sec-websocket-version': '13' },
    },
    {
      name: 'POST',
      request: (p) => upgradeRequest(p, { method: 'POST' }),
      status: 405,
      body: /GET/,
      headers: { allow: 'GET' },
    },
    {
      name: 'Upgrade: not websocket',
      request: (p) => upgradeRequest(p, { headers: { Upgrade: 'h2c' } }),
      status: 400,
      body: /Upgrade/,
    },
    {
      name: 'malformed Sec-WebSocket-Protocol',
      request: (p) => upgradeRequest(p, { headers: { 'Sec-WebSocket-Protocol': 'a b' } }),
      status: 400,
      body: /Sec-WebSocket-Protocol/,
    },
    {
      name: 'malformed Sec-WebSocket-Extensions',
      request: (p) => upgradeRequest(p, { headers: { 'Sec-WebSocket-Extensions': ';;' } }),
      status: 400,
      body: /Sec-WebSocket-Extensions/,
    },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.status} with a body that names the problem`, async () => {
      const events = new Recorder();
      const server = await startServer({ handlers: events.handlers() });
      const response = await rawHttp(server.port, c.request(server.port));
      expect(response.status).toBe(c.status);
      expect(response.body).toMatch(c.body);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body));
      for (const [name, value] of Object.entries(c.headers ?? {})) expect(response.headers[name]).toBe(value);
      expect(events.opened).toHaveLength(0);
      expect(server.clients.size).toBe(0);
    });
  }

  it('a plain HTTP request gets 426 Upgrade Required', async () => {
    const server = await startServer();
    // The 426 carries "Connection: Upgrade" (RFC 9110 §7.8), so Node keeps the connection alive: read for 300 ms.
    const response = await rawHttp(server.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 300);
    expect(response.status).toBe(426);
    expect(response.headers.upgrade).toBe('websocket');
  });

  it('a request handler serves plain HTTP on the same port', async () => {
    const server = await startServer({
      request(_req, res) {
        res.end('hello over http');
      },
    });
    const response = await rawHttp(server.port, `GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(response.status).toBe(200);
    expect(response.body).toBe('hello over http');
  });

  it('a path filter: other paths get 404', async () => {
    const server = await startServer({ path: '/ws' });
    expect((await rawHttp(server.port, upgradeRequest(server.port, { path: '/other' }))).status).toBe(404);
    const client = await RawClient.connect(server.port, { path: '/ws?token=1' });
    expect(client.response.status).toBe(101);
  });

  it('a request head over maxHeaderSize → 431 and the connection is closed', async () => {
    const server = await startServer({ maxHeaderSize: 2048 });
    const response = await rawHttp(
      server.port,
      upgradeRequest(server.port, { headers: { 'X-Big': 'x'.repeat(4096) } }),
    );
    expect(response.status).toBe(431);
    // Just under the limit still works.
    const ok = await RawClient.connect(server.port, { headers: { 'X-Big': 'x'.repeat(1024) } });
    expect(ok.response.status).toBe(101);
  });

  it("subprotocol negotiation: the client's first offer the server supports wins; none matching → no header", async () => {
    const server = await startServer({ protocols: ['v2', 'v1'] });
    const a = await RawClient.connect(server.port, { headers: { 'Sec-WebSocket-Protocol': 'v1, v2' } });
    expect(a.response.headers['sec-websocket-protocol']).toBe('v1');
    const a2 = await RawClient.connect(server.port, { headers: { 'Sec-WebSocket-Protocol': 'v9, v2, v1' } });
    expect(a2.response.headers['sec-websocket-protocol']).toBe('v2');
    const b = await RawClient.connect(server.port, { headers: { 'Sec-WebSocket-Protocol': 'v3' } });
    expect(b.response.headers['sec-websocket-protocol']).toBeUndefined();
    const c = await WsClient.open(`ws://127.0.0.1:${server.port}/`, ['v3', 'v2']);
    expect(c.ws.protocol).toBe('v2');
  });

  it('a protocol chooser that returns something not offered is ignored', async () => {
    const events = new Recorder();
    const server = await startServer({ protocols: () => 'invented', handlers: events.handlers() });
    const client = await RawClient.connect(server.port, { headers: { 'Sec-WebSocket-Protocol': 'real' } });
    expect(client.response.headers['sec-websocket-protocol']).toBeUndefined();
    await waitFor(() => events.opened.length === 1, 1_000, 'open');
    expect(events.opened[0].protocol).toBe('');
  });
});

describe('origin allow-list', () => {
  it('an allowed Origin passes; another → 403; none → 403', async () => {
    const server = await startServer({ origins: ['https://app.example'] });
    const ok = await RawClient.connect(server.port, { headers: { Origin: 'https://app.example' } });
    expect(ok.response.status).toBe(101);
    const other = await rawHttp(
      server.port,
      upgradeRequest(server.port, { headers: { Origin: 'https://evil.example' } }),
    );
    expect(other.status).toBe(403);
    expect(other.body).toMatch(/Origin/);
    const missing = await rawHttp(server.port, upgradeRequest(server.port));
    expect(missing.status).toBe(403);
    expect(server.clients.size).toBe(1);
  });

  it('a predicate decides, and sees the request', async () => {
    const server = await startServer({
      origins: (origin, req) => origin === undefined && req.headers['x-native'] === '1',
    });
    expect((await RawClient.connect(server.port, { headers: { 'X-Native': '1' } })).response.status).toBe(101);
    expect(
      (
        await rawHttp(
          server.port,
          upgradeRequest(server.port, { headers: { Origin: 'https://x.example', 'X-Native': '1' } }),
        )
      ).status,
    ).toBe(403);
  });
});

describe('authorize', () => {
  it('false → 401', async () => {
    const server = await startServer({ authorize: () => false });
    const response = await rawHttp(server.port, upgradeRequest(server.port));
    expect(response.status).toBe(401);
    expect(response.body).toMatch(/Unauthorized/);
  });

  it('reject(403, { error }) → 403 with a JSON body and Content-Type', async () => {
    const server = await startServer({ authorize: async () => reject(403, { error: 'x' }) });
    const response = await rawHttp(server.port, upgradeRequest(server.port));
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toBe('application/json');
    expect(JSON.parse(response.body)).toEqual({ error: 'x' });
  });

  it('reject with a string body and extra headers', async () => {
    const server = await startServer({ authorize: () => reject(429, 'slow down', { 'Retry-After': '5' }) });
    const response = await rawHttp(server.port, upgradeRequest(server.port));
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.body).toBe('slow down');
  });

  it('a hook that throws (or rejects) → 500, details not leaked', async () => {
    const server = await startServer({
      authorize: (req) => {
        if (req.url === '/sync') throw new Error('database password is hunter2');
        return Promise.reject(new Error('database password is hunter2'));
      },
    });
    for (const path of ['/sync', '/async']) {
      const response = await rawHttp(server.port, upgradeRequest(server.port, { path }));
      expect(response.status).toBe(500);
      expect(response.body).not.toMatch(/hunter2/);
    }
  });

  it('a rejection with an invalid status becomes a plain 500', async () => {
    const server = await startServer({ authorize: () => reject(200, 'not an error') });
    expect((await rawHttp(server.port, upgradeRequest(server.port))).status).toBe(500);
  });

  it('{ data } accepts and sets ws.data; the hook sees the request', async () => {
    const events = new Recorder<{ user: string }>();
    const server = await startServer<{ user: string }>({
      authorize: async (req) => ({ data: { user: String(req.headers.authorization) } }),
      handlers: events.handlers(),
    });
    await WsClient.open(`ws://127.0.0.1:${server.port}/`, [], { headers: { Authorization: 'alice' } });
    await waitFor(() => events.opened.length === 1, 1_000, 'open');
    expect(events.opened[0].data).toEqual({ user: 'alice' });
  });

  it('true accepts; createData fills ws.data', async () => {
    const events = new Recorder<number>();
    const server = await startServer<number>({
      authorize: () => true,
      createData: () => 42,
      handlers: events.handlers(),
    });
    await RawClient.connect(server.port);
    await waitFor(() => events.opened.length === 1, 1_000, 'open');
    expect(events.opened[0].data).toBe(42);
  });

  it('a client that leaves while authorize is pending leaves nothing behind', async () => {
    const events = new Recorder();
    let release!: () => void;
    const pending = new Promise<void>((resolve) => (release = resolve));
    const server = await startServer({ authorize: () => pending.then(() => true), handlers: events.handlers() });
    const { socket } = await openStalled(server.port, upgradeRequest(server.port));
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    // The server cannot see the FIN without reading (which would consume frames sent after the head), so the socket
    // may open; it must then close at once and leave `clients`.
    await waitFor(() => events.closes.length === events.opened.length && server.clients.size === 0, 1_000, 'cleanup');
    expect(events.closes.map((c) => c.code).every((code) => code === 1006)).toBe(true);
  });
});

// RFC 7230 §5.4: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message that
// lacks a Host header field and to any that contains more than one Host header field". Node's parser keeps the
// first Host in `req.headers` and drops the rest, so this is checked on `req.rawHeaders`.

/** An upgrade request with two Host lines (the helper writes one; the second follows it). */
function twoHosts(port: number, second: string, first = `127.0.0.1:${port}`): string {
  return upgradeRequest(port, { host: first }).replace(
    /\r\nHost: [^\r]*\r\n/,
    `\r\nHost: ${first}\r\nHost: ${second}\r\n`,
  );
}

describe('duplicate Host header', () => {
  it.each([
    ['a different authority', 'evil.example'],
    ['the same authority twice', null],
  ])('%s → 400, no 101, no socket', async (_name, second) => {
    const events = new Recorder();
    const server = await startServer({ handlers: events.handlers() });
    const port = server.port;
    const response = await rawHttp(port, twoHosts(port, second ?? `127.0.0.1:${port}`));
    expect(response.status).toBe(400);
    expect(response.raw).not.toMatch(/^HTTP\/1\.1 101/);
    expect(response.body).toMatch(/Host/);
    expect(events.opened).toHaveLength(0);
    expect(server.clients.size).toBe(0);
  });

  it('also in attach mode (the check is on the upgrade, not on our HTTP server)', async () => {
    const http = createHttpServer();
    const wss = await createServer({ server: http });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    onCleanup(async () => {
      await wss.close({ timeout: 100 });
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    });
    const port = (http.address() as AddressInfo).port;
    expect((await rawHttp(port, twoHosts(port, 'evil.example'))).status).toBe(400);
    // One Host still upgrades.
    expect((await rawHttp(port, upgradeRequest(port), 300)).status).toBe(101);
  });
});
