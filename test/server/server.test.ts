// Server lifecycle over real sockets: attach mode with path filtering, noServer + handleUpgrade, `clients`,
// `broadcast`, prepared messages and graceful `close()`.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareMessage } from '../../src/server/prepared.js';
import { createServer } from '../../src/server/server.js';
import { encodeFrame, Op } from '../helpers/frames.js';
import { openStalled, rawHttp, RawClient, upgradeRequest } from '../helpers/raw.js';
import {
  cleanupAll,
  echoHandlers,
  onCleanup,
  Recorder,
  startEchoServer,
  startServer,
  WsClient,
} from '../helpers/servers.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

afterEach(cleanupAll);

async function listen(server: HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

describe('attach mode', () => {
  it('upgrades on the path; plain HTTP stays with the app; other upgrade paths → 404', async () => {
    const http = createHttpServer((_req, res) => res.end('app response'));
    const wss = await createServer({ server: http, path: '/ws', handlers: echoHandlers() });
    onCleanup(() => wss.close({ timeout: 100 }));
    const port = await listen(http);
    expect(wss.port).toBe(port);
    const client = await WsClient.open(`ws://127.0.0.1:${port}/ws`);
    expect((await client.roundTrip('hi')).data.toString()).toBe('hi');
    const plain = await rawHttp(port, `GET /ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(plain.body).toBe('app response');
    const other = await rawHttp(port, upgradeRequest(port, { path: '/other' }));
    expect(other.status).toBe(404);
    expect(wss.clients.size).toBe(1);
  });

  it('other upgrade paths are left to other upgrade listeners', async () => {
    const http = createHttpServer();
    const wss = await createServer({ server: http, path: '/ws', handlers: echoHandlers() });
    onCleanup(() => wss.close({ timeout: 100 }));
    const other = await createServer({ noServer: true, handlers: { message: (ws) => ws.send('from the other one') } });
    onCleanup(() => other.close({ timeout: 100 }));
    http.on('upgrade', (req, socket, head) => {
      if (req.url === '/chat') void other.handleUpgrade(req, socket, head);
    });
    const port = await listen(http);
    const chat = await WsClient.open(`ws://127.0.0.1:${port}/chat`);
    expect((await chat.roundTrip('x')).data.toString()).toBe('from the other one');
    const ws = await WsClient.open(`ws://127.0.0.1:${port}/ws`);
    expect((await ws.roundTrip('y')).data.toString()).toBe('y');
    expect(wss.clients.size).toBe(1);
    expect(other.clients.size).toBe(1);
  });

  it('closing an attached server leaves the HTTP server running', async () => {
    const http = createHttpServer((_req, res) => res.end('still up'));
    const wss = await createServer({ server: http });
    const port = await listen(http);
    const client = await WsClient.open(`ws://127.0.0.1:${port}/`);
    await wss.close({ timeout: 200 });
    expect((await withTimeout(client.closed, 1_000, 'client close')).code).toBe(1001);
    expect(http.listening).toBe(true);
    expect((await rawHttp(port, `GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).body).toBe('still up');
  });
});

describe('attach mode, re-attaching', () => {
  it('a closed attached server takes its upgrade listener off, so a new one can attach to the same HTTP server', async () => {
    const http = createHttpServer();
    const port = await listen(http);
    const first = await createServer({ server: http, path: '/ws', handlers: echoHandlers() });
    expect(http.listenerCount('upgrade')).toBe(1);
    await first.close({ timeout: 100 });
    expect(http.listenerCount('upgrade')).toBe(0);
    const second = await createServer({ server: http, path: '/ws', handlers: echoHandlers() });
    onCleanup(() => second.close({ timeout: 100 }));
    const client = await WsClient.open(`ws://127.0.0.1:${port}/ws`);
    expect((await client.roundTrip('again')).data.toString()).toBe('again');
  });
});

describe('noServer + handleUpgrade', () => {
  it('resolves with the open socket, or null for a refused handshake', async () => {
    const events = new Recorder();
    const wss = await createServer({
      noServer: true,
      origins: ['https://ok.example'],
      handlers: events.handlers(echoHandlers()),
    });
    onCleanup(() => wss.close({ timeout: 100 }));
    const results: unknown[] = [];
    const http = createHttpServer();
    http.on('upgrade', (req, socket, head) => {
      void wss.handleUpgrade(req, socket, head).then((ws) => results.push(ws));
    });
    const port = await listen(http);
    expect(() => wss.port).toThrow();
    const ok = await WsClient.open(`ws://127.0.0.1:${port}/anything`, [], { origin: 'https://ok.example' });
    expect((await ok.roundTrip('hello')).data.toString()).toBe('hello');
    expect((await rawHttp(port, upgradeRequest(port, { headers: { Origin: 'https://bad.example' } }))).status).toBe(
      403,
    );
    await waitFor(() => results.length === 2, 1_000, 'handleUpgrade results');
    expect(results[0]).toBe(events.opened[0]);
    expect(results[1]).toBeNull();
  });

  it('frames that arrive in the same packet as the request head are delivered', async () => {
    const { server } = await startEchoServer();
    const frames = Buffer.concat([
      encodeFrame({ opcode: Op.Text, payload: 'first' }),
      encodeFrame({ opcode: Op.Ping, payload: 'p' }),
    ]);
    const client = await RawClient.connect(server.port, { withHead: frames });
    expect((await client.nextFrame()).payload.toString()).toBe('first');
    expect((await client.nextFrame()).opcode).toBe(Op.Pong);
  });
});

describe('clients, broadcast and prepared messages', () => {
  it('clients tracks open sockets', async () => {
    const { server } = await startEchoServer();
    const a = await WsClient.open(`ws://127.0.0.1:${server.port}/`);
    const b = await WsClient.open(`ws://127.0.0.1:${server.port}/`);
    await waitFor(() => server.clients.size === 2, 1_000, 'two clients');
    a.ws.close();
    await waitFor(() => server.clients.size === 1, 1_000, 'one client');
    b.ws.terminate();
    await waitFor(() => server.clients.size === 0, 1_000, 'no client');
  });

  it('broadcast reaches every client as one identical unmasked frame, and counts them', async () => {
    const { server } = await startEchoServer();
    const clients = await Promise.all([1, 2, 3].map(() => RawClient.connect(server.port)));
    await waitFor(() => server.clients.size === 3, 1_000, 'three clients');
    expect(server.broadcast('to everyone')).toBe(3);
    for (const client of clients) {
      const frame = await client.nextFrame();
      expect(frame).toMatchObject({ opcode: Op.Text, fin: true, masked: false, rsv1: false });
      expect(frame.payload.toString()).toBe('to everyone');
      expect(await client.maybeFrame(20)).toBeNull();
    }
    const wire = clients.map((c) => Buffer.concat(c.received).toString('hex'));
    expect(new Set(wire).size).toBe(1);
  });

  it('broadcast of binary data and with a filter', async () => {
    const { server, events } = await startEchoServer();
    const [a, b] = await Promise.all([RawClient.connect(server.port), RawClient.connect(server.port)]);
    await waitFor(() => events.opened.length === 2, 1_000, 'two opens');
    const excluded = events.opened[0];
    expect(server.broadcast(Buffer.from([1, 2, 3]), { filter: (ws) => ws !== excluded })).toBe(1);
    const receivers = [a, b];
    const got = await Promise.all(receivers.map((c) => c.maybeFrame(200)));
    expect(got.filter((f) => f !== null)).toHaveLength(1);
    expect(got.find((f) => f !== null)).toMatchObject({ opcode: Op.Binary, payload: Buffer.from([1, 2, 3]) });
  });

  it('broadcast goes out uncompressed on deflate connections (a frame shared by all)', async () => {
    const { server } = await startEchoServer({ perMessageDeflate: true });
    const client = await WsClient.open(`ws://127.0.0.1:${server.port}/`, [], { perMessageDeflate: true });
    await waitFor(() => server.clients.size === 1, 1_000, 'client');
    server.broadcast('x'.repeat(5000));
    expect((await client.next()).data.toString()).toBe('x'.repeat(5000));
  });

  it('sendPrepared writes one prepared frame to many sockets', async () => {
    const { server, events } = await startEchoServer();
    const clients = await Promise.all([1, 2].map(() => RawClient.connect(server.port)));
    await waitFor(() => events.opened.length === 2, 1_000, 'opens');
    const message = prepareMessage('prepared once');
    for (const ws of events.opened) expect(ws.sendPrepared(message)).toBe('sent');
    for (const client of clients) expect((await client.nextFrame()).payload.toString()).toBe('prepared once');
  });
});

describe('graceful close', () => {
  it('sends 1001 to every client, waits for them, closes the HTTP server and resolves', async () => {
    const events = new Recorder();
    const server = await createServer({ port: 0, host: '127.0.0.1', handlers: events.handlers() });
    const port = server.port;
    const clients = await Promise.all([1, 2, 3].map(() => WsClient.open(`ws://127.0.0.1:${port}/`)));
    await waitFor(() => server.clients.size === 3, 1_000, 'clients');
    const started = Date.now();
    await withTimeout(server.close({ timeout: 2_000 }), 3_000, 'server.close()');
    expect(Date.now() - started).toBeLessThan(1_000);
    for (const client of clients)
      expect(await withTimeout(client.closed, 1_000, 'client closed')).toEqual({
        code: 1001,
        reason: 'server shutting down',
      });
    expect(server.clients.size).toBe(0);
    expect(events.closes.map((c) => c.code)).toEqual([1001, 1001, 1001]);
    expect(server.httpServer?.listening).toBe(false);
    await expect(rawHttp(port, upgradeRequest(port), 300)).rejects.toThrow();
  });

  it('a custom code and reason; clients that never answer are terminated after the timeout', async () => {
    const events = new Recorder();
    const server = await createServer({
      port: 0,
      host: '127.0.0.1',
      closeTimeout: 10_000,
      handlers: events.handlers(),
    });
    const raw = await RawClient.connect(server.port);
    await waitFor(() => server.clients.size === 1, 1_000, 'client');
    const started = Date.now();
    const closing = server.close({ code: 1012, reason: 'restart', timeout: 200 });
    expect(await raw.expectClose()).toMatchObject({ code: 1012, reason: 'restart' });
    await withTimeout(closing, 2_000, 'server.close()');
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    await raw.waitClosed(1_000);
    expect(events.closes[0].code).toBe(1006);
  });

  it('a handshake whose authorize hook finishes after close() is refused with 503, not opened', async () => {
    const events = new Recorder();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = await createServer({
      port: 0,
      host: '127.0.0.1',
      authorize: () => gate.then(() => true),
      handlers: events.handlers(),
    });
    const port = server.port;
    const stalled = await openStalled(port, upgradeRequest(port));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await withTimeout(server.close({ timeout: 200 }), 2_000, 'server.close()');
    release();
    await withTimeout(stalled.closedAt, 2_000, 'the pending connection to be closed');
    expect(stalled.received()).toMatch(/^HTTP\/1\.1 503 /);
    expect(events.opened).toHaveLength(0);
    expect(server.clients.size).toBe(0);
  });

  it('a message handler that throws fails only that connection, with 1011 and no details', async () => {
    const events = new Recorder();
    const server = await startServer({
      handlers: events.handlers({
        message(ws, data) {
          if (data.toString() === 'boom') throw new Error('secret detail');
          ws.send(data);
        },
      }),
    });
    const bystander = await WsClient.open(`ws://127.0.0.1:${server.port}/`);
    const client = await RawClient.connect(server.port);
    client.sendText('boom');
    const close = await client.expectClose();
    expect(close.code).toBe(1011);
    expect(close.reason).not.toMatch(/secret/);
    await waitFor(() => events.errors.length === 1, 1_000, 'error handler');
    expect(events.errors[0].error.message).toMatch(/secret detail/);
    expect((await bystander.roundTrip('fine')).data.toString()).toBe('fine');
  });

  it('upgrades that arrive while closing are refused with 503', async () => {
    const wss = await createServer({ noServer: true });
    await wss.close({ timeout: 50 });
    const http = createHttpServer();
    http.on('upgrade', (req, socket, head) => void wss.handleUpgrade(req, socket, head));
    const port = await listen(http);
    const response = await rawHttp(port, upgradeRequest(port));
    expect(response.status).toBe(503);
  });
});
