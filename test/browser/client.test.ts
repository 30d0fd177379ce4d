// The browser client (/wsgate.js) run in Node against a small envelope server, with `ws` as its WebSocket. The
// browser itself is covered by browser-demo.test.ts; this file pins down request/reply, queueing and reconnect.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import { createServer, type WsServer } from '../../src/index.js';
import {
  backoffDelay,
  WsgateClient,
  WsgateError,
  type WsgateClientOptions,
} from '../../src/gateway/public/wsgate-client.js';

interface Envelope {
  type: string;
  data?: unknown;
  id?: number | string;
}

/** Speaks the gateway envelope: echo, fail, slow (never answers), push (push then reply), drop (closes the socket). */
async function envelopeServer(port = 0): Promise<WsServer> {
  return createServer({
    port,
    host: '127.0.0.1',
    // The client offers "wsgate" (and "wsgate.refused"), as the gateway expects; `ws` fails a handshake that picks none.
    protocols: ['wsgate'],
    handlers: {
      message(ws, raw) {
        const msg = JSON.parse(raw.toString()) as Envelope;
        const reply = (data: unknown): void => void ws.send(JSON.stringify({ type: msg.type, id: msg.id, data }));
        switch (msg.type) {
          case 'echo':
            reply(msg.data);
            break;
          case 'delayed':
            setTimeout(() => reply(msg.data), Number((msg.data as { ms: number }).ms));
            break;
          case 'fail':
            ws.send(
              JSON.stringify({ type: 'error', id: msg.id, error: { code: 'nope', message: 'refused on purpose' } }),
            );
            break;
          case 'push':
            ws.send(JSON.stringify({ type: 'news', data: msg.data }));
            if (msg.id !== undefined) reply(true);
            break;
          case 'drop':
            ws.close(4000, 'dropped');
            break;
          case 'slow':
            break;
          case 'record':
            ws.send(JSON.stringify({ type: 'recorded', data: msg.data }));
            break;
        }
      },
    },
  });
}

const servers: WsServer[] = [];
const clients: WsgateClient[] = [];

async function serve(port = 0): Promise<WsServer> {
  const server = await envelopeServer(port);
  servers.push(server);
  return server;
}

function client(server: WsServer | number, options: WsgateClientOptions = {}): WsgateClient {
  const port = typeof server === 'number' ? server : server.port;
  const c = new WsgateClient(`ws://127.0.0.1:${port}/`, { WebSocket: NodeWebSocket, ...options });
  clients.push(c);
  return c;
}

function next<T = unknown>(c: WsgateClient, event: string): Promise<T> {
  return new Promise((resolve) => c.once(event, (value: T) => resolve(value)));
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close({ timeout: 500 })));
});

describe('backoffDelay', () => {
  const options = { minDelay: 100, maxDelay: 1000, factor: 2, jitter: false };
  it('grows by the factor and stops at maxDelay', () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, options))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it('uses full jitter: uniform in [0, cap]', () => {
    const jittered = { ...options, jitter: true };
    expect(backoffDelay(3, jittered, () => 0)).toBe(0);
    expect(backoffDelay(3, jittered, () => 0.5)).toBe(400);
    expect(backoffDelay(3, jittered, () => 0.999999)).toBe(800);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(20, jittered);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(1000);
    }
  });
});

describe('WsgateClient request/reply', () => {
  it('resolves with the reply data, matching replies by id even out of order', async () => {
    const c = client(await serve());
    const slow = c.request('delayed', { ms: 80, n: 1 });
    const fast = c.request('delayed', { ms: 5, n: 2 });
    const plain = c.request('echo', 'hello');
    await expect(fast).resolves.toEqual({ ms: 5, n: 2 });
    await expect(slow).resolves.toEqual({ ms: 80, n: 1 });
    await expect(plain).resolves.toBe('hello');
    expect(c.connected).toBe(true);
  });

  it('rejects with the error code and message of an error reply', async () => {
    const c = client(await serve());
    const err = await c.request('fail').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WsgateError);
    expect(err).toMatchObject({ code: 'nope', message: 'refused on purpose' });
    expect((err as WsgateError).reply).toMatchObject({ type: 'error' });
  });

  it('rejects on timeout, and a late reply is ignored', async () => {
    const c = client(await serve());
    await expect(c.request('slow', null, { timeout: 50 })).rejects.toMatchObject({ code: 'timeout' });
    await expect(c.request('echo', 1)).resolves.toBe(1);
  });

  it('rejects requests in flight when the connection drops', async () => {
    const c = client(await serve(), { reconnect: false });
    await next(c, 'open');
    const pending = c.request('slow');
    c.send('drop');
    await expect(pending).rejects.toMatchObject({ code: 'disconnected' });
    expect(c.state).toBe('closed');
    await expect(c.request('echo')).rejects.toMatchObject({ code: 'closed' });
  });
});

describe('WsgateClient events', () => {
  it('delivers pushed messages to on(type) and on("message"); off() stops them', async () => {
    const c = client(await serve());
    const seen: unknown[] = [];
    const all: unknown[] = [];
    const onNews = (data: unknown): void => void seen.push(data);
    c.on('news', onNews);
    c.on('message', (envelope) => void all.push(envelope));
    await c.request('push', { n: 1 });
    c.off('news', onNews);
    await c.request('push', { n: 2 });
    expect(seen).toEqual([{ n: 1 }]);
    expect(all).toEqual([
      { type: 'news', data: { n: 1 } },
      { type: 'news', data: { n: 2 } },
    ]);
  });

  it('a throwing listener does not stop the others', async () => {
    const c = client(await serve());
    const seen: number[] = [];
    const onUncaught = (): void => {};
    process.on('uncaughtException', onUncaught);
    try {
      c.on('news', () => {
        throw new Error('listener bug');
      });
      c.on('news', (data: { n: number }) => void seen.push(data.n));
      await c.request('push', { n: 7 });
      expect(seen).toEqual([7]);
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
  });
});

describe('WsgateClient queueing', () => {
  it('queues send and request before the socket opens and flushes them in order', async () => {
    const c = client(await serve());
    expect(c.state).toBe('connecting');
    const got: unknown[] = [];
    c.on('recorded', (data) => void got.push(data));
    expect(c.send('record', 1)).toBe(true);
    const reply = c.request('echo', 'queued');
    expect(c.send('record', 2)).toBe(true);
    await expect(reply).resolves.toBe('queued');
    await c.request('echo'); // replies come in order, so both records have arrived
    expect(got).toEqual([1, 2]);
  });

  it('refuses beyond maxQueue', async () => {
    const server = await serve();
    const c = client(server, { maxQueue: 2, autoConnect: false });
    expect(c.send('record', 1)).toBe(true);
    expect(c.send('record', 2)).toBe(true);
    expect(c.send('record', 3)).toBe(false);
    await expect(c.request('echo')).rejects.toMatchObject({ code: 'queue_full' });
  });

  it('close() rejects queued requests and stops', async () => {
    const c = client(await serve(), { autoConnect: false });
    const queued = c.request('echo', 1);
    c.close();
    await expect(queued).rejects.toMatchObject({ code: 'closed' });
    expect(c.send('record', 1)).toBe(false);
  });
});

describe('WsgateClient reconnect', () => {
  it('reconnects with backoff after the server restarts on the same port', async () => {
    const first = await serve();
    const port = first.port;
    const c = client(port, { reconnect: { minDelay: 20, maxDelay: 100 } });
    await next(c, 'open');
    await expect(c.request('echo', 'before')).resolves.toBe('before');

    const reconnecting: { attempt: number; delay: number }[] = [];
    c.on('reconnecting', (e) => void reconnecting.push(e));
    const closed = next<{ code: number; wasOpen: boolean }>(c, 'close');
    await first.close({ timeout: 500 });
    servers.splice(servers.indexOf(first), 1);
    expect(await closed).toMatchObject({ code: 1001, wasOpen: true });
    expect(c.state).toBe('reconnecting');

    // Let at least one attempt fail against the closed port, then come back.
    await new Promise<void>((resolve) => {
      const check = (): void => void (reconnecting.length >= 2 ? resolve() : setTimeout(check, 5));
      check();
    });
    const reopened = next<{ reconnected: boolean }>(c, 'open');
    await serve(port);
    expect(await reopened).toEqual({ reconnected: true, recovered: false });
    expect(reconnecting[0]).toMatchObject({ attempt: 1 });
    for (const e of reconnecting) expect(e.delay).toBeLessThanOrEqual(100);
    await expect(c.request('echo', 'after')).resolves.toBe('after');
  });

  it('a request made while reconnecting waits for the new connection', async () => {
    const first = await serve();
    const port = first.port;
    const c = client(port, { reconnect: { minDelay: 10, maxDelay: 50 } });
    await next(c, 'open');
    const closed = next(c, 'close');
    await first.close({ timeout: 500 });
    servers.splice(servers.indexOf(first), 1);
    await closed;
    const queued = c.request('echo', 'waited', { timeout: 5000 });
    await serve(port);
    await expect(queued).resolves.toBe('waited');
  });

  it('gives up after maxAttempts', async () => {
    const server = await serve();
    const port = server.port;
    await server.close();
    servers.splice(0);
    const c = client(port, { reconnect: { minDelay: 1, maxDelay: 5, maxAttempts: 2 } });
    const queued = c.request('echo');
    await expect(queued).rejects.toMatchObject({ code: 'closed' });
    expect(c.state).toBe('closed');
  });
});
