// The client ↔ server contract, gateway side, over real sockets: the message middleware chain (`gateway.use`) and
// server → client requests (`socket.request`, answered with `replyTo`).
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError, type GatewaySocket } from '../../../src/gateway/index.js';
import { cleanup, open, startGateway, waitFor } from '../helpers.js';

afterEach(cleanup);

describe('gateway.use: message middleware', () => {
  it('runs in order before the route; a GatewayError stops the message with an error reply', async () => {
    const gw = await startGateway();
    const seen: string[] = [];
    gw.use(({ type }) => void seen.push(`a:${type}`));
    gw.use(async ({ type, socket }) => {
      seen.push(`b:${type}`);
      await Promise.resolve();
      if (type === 'admin' && socket.uid === null) throw new GatewayError('forbidden', 'admins only');
    });
    gw.route('echo', ({ data }) => data);
    gw.route('admin', () => {
      seen.push('admin route');
      return 'secret';
    });
    const c = await open(gw);
    expect(await c.request('echo', 7)).toEqual({ type: 'echo', id: 1, data: 7 });
    expect(await c.request('admin')).toEqual({
      type: 'error',
      id: 2,
      error: { code: 'forbidden', message: 'admins only' },
    });
    expect(await c.request('nope')).toMatchObject({ type: 'error', id: 3, error: { code: 'unknown_type' } });
    expect(seen).toEqual(['a:echo', 'b:echo', 'a:admin', 'b:admin', 'a:nope', 'b:nope']);
    expect(gw.stats().errorsOut).toBe(2);
  });

  it('a middleware that throws anything else answers handler_error, reports the error, and the route never runs', async () => {
    const gw = await startGateway();
    const errors: unknown[] = [];
    gw.on('error', (e) => errors.push(e));
    let routed = 0;
    let later = 0;
    const remove = gw.use(() => {
      throw new Error('middleware bug: secret detail');
    });
    gw.use(() => void later++);
    gw.route('echo', ({ data }) => {
      routed++;
      return data;
    });
    const c = await open(gw);
    const reply = await c.request('echo', 1);
    expect(reply).toEqual({ type: 'error', id: 1, error: { code: 'handler_error', message: 'internal error' } });
    expect(JSON.stringify(reply)).not.toContain('secret');
    expect({ routed, later, errors: errors.length }).toEqual({ routed: 0, later: 0, errors: 1 });
    remove();
    expect(await c.request('echo', 2)).toEqual({ type: 'echo', id: 2, data: 2 });
    expect({ routed, later }).toEqual({ routed: 1, later: 1 });
  });

  it('a rejected promise from a middleware is contained the same way', async () => {
    const gw = await startGateway();
    const errors: unknown[] = [];
    gw.on('error', (e) => errors.push(e));
    gw.use(() => Promise.reject(new Error('async bug')));
    gw.route('echo', ({ data }) => data);
    const c = await open(gw);
    expect(await c.request('echo', 1)).toMatchObject({ type: 'error', error: { code: 'handler_error' } });
    expect(errors).toHaveLength(1);
  });
});

describe('socket.request: server → client requests', () => {
  async function withSocket(options: Parameters<typeof startGateway>[0] = {}) {
    const gw = await startGateway(options);
    let socket: GatewaySocket | null = null;
    gw.on('connect', (s) => (socket = s));
    const c = await open(gw);
    await waitFor(() => socket !== null);
    return { gw, c, socket: socket! };
  }

  it('sends {"type","data","request"} and resolves with the data of the {"replyTo"} answer', async () => {
    const { gw, c, socket } = await withSocket();
    let routed = 0;
    gw.route('*', () => routed++);
    const answer = socket.request<{ ok: boolean }>('confirm', { question: 'sure?' }, { timeout: 5_000 });
    const asked = await c.json();
    expect(asked).toEqual({ type: 'confirm', data: { question: 'sure?' }, request: 1 });
    c.send({ type: 'confirm', replyTo: asked.request, data: { ok: true } });
    expect(await answer).toEqual({ ok: true });
    // An answer is never routed, and a second answer to the same request is ignored.
    c.send({ type: 'confirm', replyTo: asked.request, data: { ok: false } });
    expect(await c.silentFor(100)).toBe(true);
    expect(routed).toBe(0);
  });

  it("the client's error answer rejects with its code and message", async () => {
    const { c, socket } = await withSocket();
    const answer = socket.request('confirm');
    const asked = await c.json();
    expect(asked).toEqual({ type: 'confirm', request: 1 });
    c.send({ type: 'error', replyTo: 1, error: { code: 'declined', message: 'user said no' } });
    await expect(answer).rejects.toMatchObject({ name: 'GatewayError', code: 'declined', message: 'user said no' });
  });

  it('no answer → timeout; over maxPendingRequests → too_many_requests; the socket closes → disconnected', async () => {
    const { c, socket } = await withSocket({ maxPendingRequests: 2 });
    const late = socket.request('a', undefined, { timeout: 50 });
    await expect(late).rejects.toMatchObject({ code: 'timeout' });
    const first = socket.request('b');
    const second = socket.request('c');
    await expect(socket.request('d')).rejects.toMatchObject({ code: 'too_many_requests' });
    c.ws.close();
    await expect(first).rejects.toMatchObject({ code: 'disconnected' });
    await expect(second).rejects.toMatchObject({ code: 'disconnected' });
    await expect(socket.request('e')).rejects.toMatchObject({ code: 'disconnected' });
  });

  it('answers to unknown requests are ignored, a bad replyTo is a bad_envelope, and a flood of them stores nothing', async () => {
    const { gw, c, socket } = await withSocket();
    c.send({ type: 'x', replyTo: 999, data: 1 });
    c.send({ type: 'x', replyTo: -1, id: 5 });
    expect(await c.json()).toMatchObject({ type: 'error', id: 5, error: { code: 'bad_envelope' } });
    for (let i = 1_000; i < 1_500; i++) c.send({ type: 'x', replyTo: i, data: 'x'.repeat(100) });
    const pending = socket.request('ping-me');
    const asked = await c.json();
    c.send({ type: 'ping-me', replyTo: asked.request, data: 'pong' });
    expect(await pending).toBe('pong');
    expect(socket.pendingRequests?.entries.size ?? 0).toBe(0);
    expect(gw.stats().messagesIn).toBe(503);
  });

  it('gateway.requestSocket asks a socket by id (here: on this node), and an unknown id is disconnected', async () => {
    const { gw, c, socket } = await withSocket();
    const answer = gw.requestSocket(socket.id, 'confirm', 1, { timeout: 5_000 });
    const asked = await c.json();
    expect(asked).toEqual({ type: 'confirm', data: 1, request: 1 });
    c.send({ type: 'confirm', replyTo: 1, data: 2 });
    expect(await answer).toBe(2);
    await expect(gw.requestSocket(`${gw.nodeId}.999999`, 'confirm')).rejects.toMatchObject({ code: 'disconnected' });
    await expect(gw.requestSocket('othernode.1', 'confirm')).rejects.toMatchObject({ code: 'disconnected' });
    await expect(gw.requestSocket(socket.id, '')).rejects.toThrow(TypeError);
    await expect(gw.requestSocket(socket.id, 'x', undefined, { timeout: 0 })).rejects.toThrow(TypeError);
  });

  it('bad arguments reject with a TypeError; bad options throw at createGateway', async () => {
    const { socket } = await withSocket();
    await expect(socket.request('')).rejects.toThrow(TypeError);
    await expect(socket.request('x', undefined, { timeout: -1 })).rejects.toThrow(TypeError);
    await expect(startGateway({ maxPendingRequests: 0 })).rejects.toThrow(/maxPendingRequests/);
    await expect(startGateway({ requestTimeout: Number.NaN })).rejects.toThrow(/requestTimeout/);
  });
});
