// The browser client (/wsgate.js) against a real gateway, in Node with `ws` as its WebSocket: terminal close codes
// (in-band auth refusals stop it, with 'unauthorized'/'forbidden' and a rejected ready()), answers to server
// requests (`handle`), binary frames both ways, middleware errors, and failover across `urls`.
// The same in Chromium: client-contract.chromium.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import {
  createGateway,
  deny,
  GatewayError,
  type Gateway,
  type GatewayOptions,
  type GatewaySocket,
} from '../../src/gateway/index.js';
import {
  TERMINAL_CLOSE_CODES,
  WsgateClient,
  WsgateError,
  type CloseEvent,
  type RefusedEvent,
  type WsgateClientOptions,
} from '../../src/gateway/public/wsgate-client.js';

const gateways: Gateway[] = [];
const clients: WsgateClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(gateways.splice(0).map((g) => g.close({ timeout: 200 })));
});

async function gateway(options: GatewayOptions = {}): Promise<Gateway> {
  const gw = await createGateway({ port: 0, host: '127.0.0.1', heartbeat: false, ...options });
  gateways.push(gw);
  return gw;
}

function url(gw: Gateway | number): string {
  return `ws://127.0.0.1:${typeof gw === 'number' ? gw : gw.port}/ws`;
}

function client(gw: Gateway | string, options: WsgateClientOptions = {}): WsgateClient {
  const c = new WsgateClient(typeof gw === 'string' ? gw : url(gw), {
    WebSocket: NodeWebSocket,
    reconnect: { minDelay: 20, maxDelay: 100 },
    ...options,
  });
  clients.push(c);
  return c;
}

function next<T>(c: WsgateClient, event: string): Promise<T> {
  return new Promise((resolve) => c.once(event, (value: T) => resolve(value)));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The socket of the next client to connect. */
function nextSocket(gw: Gateway): Promise<GatewaySocket> {
  return new Promise((resolve) => {
    const off = gw.on('connect', (socket) => {
      off();
      resolve(socket);
    });
  });
}

describe('terminal close codes', () => {
  it('4401: unauthorized event, ready() rejects, the client stops — one upgrade in a second, not a retry loop', async () => {
    const gw = await gateway({ authFailure: 'close', authenticate: () => false });
    const c = client(gw);
    let opened = 0;
    c.on('open', () => opened++);
    const refused = next<RefusedEvent>(c, 'unauthorized');
    const closed = next<CloseEvent>(c, 'close');
    await expect(c.ready()).rejects.toMatchObject({ name: 'WsgateError', code: 'unauthorized' });
    expect(await refused).toEqual({ code: 4401, reason: 'unauthorized' });
    expect(await closed).toMatchObject({ code: 4401, terminal: true, wasOpen: false });
    expect(c.state).toBe('closed');
    await delay(1_000); // with minDelay 20 ms, a retrying client would have come back many times by now
    expect(gw.stats().authRejected).toBe(1);
    expect(opened).toBe(0); // accepted with "wsgate.refused": never reported open
    await expect(c.ready()).rejects.toMatchObject({ code: 'unauthorized' });
    expect(c.send('x')).toBe(false);
  });

  it('4403: forbidden event with the deny() code as reason; queued requests are rejected', async () => {
    const gw = await gateway({ authFailure: 'close', authenticate: () => deny(403, 'banned', 'no') });
    const c = client(gw, { autoConnect: false });
    const queued = c.request('echo', 1);
    const refused = next<RefusedEvent>(c, 'forbidden');
    c.connect();
    expect(await refused).toEqual({ code: 4403, reason: 'banned' });
    await expect(queued).rejects.toBeInstanceOf(WsgateError);
    await expect(c.ready()).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('a non-terminal refusal (1011 from a throwing authenticate) is retried with backoff', async () => {
    const gw = await gateway({
      authFailure: 'close',
      authenticate: () => {
        throw new Error('backend down');
      },
    });
    gw.on('error', () => undefined);
    const c = client(gw);
    const closed = await next<CloseEvent>(c, 'close');
    expect(closed).toMatchObject({ code: 1011, terminal: false });
    await expect.poll(() => gw.stats().authRejected, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    expect(c.state).not.toBe('closed');
  });

  it('the list is documented and overridable (terminalCloseCodes)', async () => {
    expect(TERMINAL_CLOSE_CODES).toEqual(expect.arrayContaining([1002, 1003, 1007, 1008, 4401, 4403, 4400, 4499]));
    for (const retried of [1000, 1001, 1006, 1011, 1012, 1013, 4001, 4002, 4029, 4408, 4429]) {
      expect(TERMINAL_CLOSE_CODES).not.toContain(retried);
    }
    const gw = await gateway();
    gw.route('bye', ({ socket }) => socket.close(4000, 'bye'));
    const c = client(gw, { terminalCloseCodes: [4000] });
    await c.ready();
    c.send('bye');
    expect(await next<CloseEvent>(c, 'close')).toMatchObject({ code: 4000, terminal: true });
    await expect(c.ready()).rejects.toMatchObject({ code: 'refused' });
  });

  it('ready() resolves on open and rejects after close()', async () => {
    const gw = await gateway();
    const c = client(gw);
    await c.ready();
    await c.ready();
    c.close();
    await expect(c.ready()).rejects.toMatchObject({ code: 'closed' });
  });
});

describe('server → client requests (client.handle)', () => {
  it('answers with the handler result, its error code, or unknown_type', async () => {
    const gw = await gateway();
    const socketP = nextSocket(gw);
    const c = client(gw);
    c.handle('add', (data) => {
      const { a, b } = data as { a: number; b: number };
      return a + b;
    });
    c.handle('slow-add', async (data) => {
      await delay(10);
      return (data as number) + 1;
    });
    c.handle('refuse', () => {
      throw new WsgateError('declined', 'not today');
    });
    c.handle('crash', () => {
      throw new Error('client bug');
    });
    const socket = await socketP;
    expect(await socket.request('add', { a: 2, b: 3 })).toBe(5);
    expect(await socket.request('slow-add', 41)).toBe(42);
    await expect(socket.request('refuse')).rejects.toMatchObject({ code: 'declined', message: 'not today' });
    await expect(socket.request('crash')).rejects.toMatchObject({ code: 'handler_error', message: 'client bug' });
    await expect(socket.request('nobody')).rejects.toMatchObject({ code: 'unknown_type' });
    const removed = c.handle('temp', () => 1);
    removed();
    await expect(socket.request('temp')).rejects.toMatchObject({ code: 'unknown_type' });
  });

  it('a request is not delivered as a push, and pushes still are', async () => {
    const gw = await gateway();
    const socketP = nextSocket(gw);
    const c = client(gw);
    const pushes: unknown[] = [];
    c.on('news', (data) => pushes.push(data));
    c.handle('news', () => 'handled');
    const socket = await socketP;
    expect(await socket.request('news', 1)).toBe('handled');
    socket.send({ type: 'news', data: 2 });
    await expect.poll(() => pushes).toEqual([2]);
  });
});

describe('binary messages and middleware', () => {
  it('send(bytes) sends binary frames to onBinary; bytes as JSON data throw; binary from the server arrives as ArrayBuffer', async () => {
    const gw = await gateway();
    const got: number[][] = [];
    gw.onBinary((socket, data) => {
      got.push([...data]);
      socket.send(Uint8Array.from([9, ...data]));
    });
    const c = client(gw);
    const echoed: number[][] = [];
    c.on('binary', (data) => echoed.push([...new Uint8Array(data)]));
    await c.ready();
    expect(c.send(Uint8Array.from([1, 2, 3]))).toBe(true);
    expect(c.send(Uint8Array.from([4, 5]).buffer)).toBe(true);
    expect(c.send(new DataView(Uint8Array.from([0, 6, 7]).buffer, 1))).toBe(true);
    expect(() => c.send('blob', Uint8Array.from([1]))).toThrow(TypeError);
    expect(() => c.request('blob', new ArrayBuffer(2))).toThrow(TypeError);
    await expect
      .poll(() => got)
      .toEqual([
        [1, 2, 3],
        [4, 5],
        [6, 7],
      ]);
    await expect
      .poll(() => echoed)
      .toEqual([
        [9, 1, 2, 3],
        [9, 4, 5],
        [9, 6, 7],
      ]);
  });

  it('binary sent while disconnected is queued and flushed on open', async () => {
    const gw = await gateway();
    const got: number[][] = [];
    gw.onBinary((_socket, data) => void got.push([...data]));
    const c = client(gw, { autoConnect: false });
    c.send('hello');
    c.send(Uint8Array.from([1]));
    c.connect();
    await expect.poll(() => got).toEqual([[1]]);
  });

  it('a middleware rejection reaches client.request as a WsgateError', async () => {
    const gw = await gateway();
    gw.use(({ type }) => {
      if (type.startsWith('admin.')) throw new GatewayError('forbidden', 'admins only');
    });
    gw.route('admin.reset', () => 'done');
    const c = client(gw);
    await expect(c.request('admin.reset')).rejects.toMatchObject({ code: 'forbidden', message: 'admins only' });
  });
});

describe('failover across urls', () => {
  it('moves to the next URL when its node dies, and starts on a live one when the first is down', async () => {
    const a = await gateway();
    const b = await gateway();
    a.route('where', () => 'a');
    b.route('where', () => 'b');
    const urlA = url(a);
    const c = client(a, { urls: [url(b)] });
    expect(c.urls).toEqual([urlA, url(b)]);
    expect(await c.request('where')).toBe('a');
    const reopened = next<{ reconnected: boolean }>(c, 'open');
    await a.close({ timeout: 0 });
    expect(await reopened).toEqual({ reconnected: true, recovered: false });
    expect(c.url).toBe(url(b));
    expect(await c.request('where')).toBe('b');

    // A dead first URL: the second attempt reaches the live node.
    const d = client(urlA, { urls: [url(b)] });
    expect(await d.request('where')).toBe('b');
  });
});
