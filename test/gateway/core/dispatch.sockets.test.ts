// The JSON wire protocol and bad input: replies, errors, the binary handler, raw mode, oversized messages and the
// rate limit. Whatever one client sends, the gateway doesn't crash and the other clients carry on.
import { afterEach, describe, expect, it } from 'vitest';
import { FALLBACK_ROUTE, GatewayCloseCode, GatewayError, type GatewayMessage } from '../../../src/gateway/index.js';
import { cleanup, open, startGateway, waitFor } from '../helpers.js';

afterEach(cleanup);

describe('routing and replies', () => {
  it('replies {type, id, data} with the handler result, sync or async, string or number ids', async () => {
    const gw = await startGateway();
    gw.route('add', ({ data }) => {
      const { a, b } = data as { a: number; b: number };
      return a + b;
    });
    gw.route('later', async ({ data }) => ({ echoed: data }));
    gw.route('nothing', () => undefined);
    const c = await open(gw);
    c.send({ type: 'add', data: { a: 2, b: 3 }, id: 'r1' });
    expect(await c.json()).toEqual({ type: 'add', id: 'r1', data: 5 });
    c.send({ type: 'later', data: [1], id: 7 });
    expect(await c.json()).toEqual({ type: 'later', id: 7, data: { echoed: [1] } });
    c.send({ type: 'nothing', id: 8 });
    expect(await c.json()).toEqual({ type: 'nothing', id: 8 });
  });

  it('sends no reply when the request has no id, but still sends errors', async () => {
    const gw = await startGateway();
    let calls = 0;
    gw.route('fire', () => {
      calls++;
      return 'ignored';
    });
    const c = await open(gw);
    c.send({ type: 'fire', data: 1 });
    expect(await c.silentFor(50)).toBe(true);
    expect(calls).toBe(1);
    c.send({ type: 'nope' });
    expect(await c.json()).toEqual({ type: 'error', error: { code: 'unknown_type', message: 'unknown type "nope"' } });
  });

  it('unknown types go to the "*" route when there is one', async () => {
    const gw = await startGateway();
    gw.route(FALLBACK_ROUTE, ({ type }) => `fallback:${type}`);
    gw.route('known', () => 'known');
    const c = await open(gw);
    expect((await c.request('whatever')).data).toBe('fallback:whatever');
    expect((await c.request('known')).data).toBe('known');
  });

  it('GatewayError reaches the client; other errors are hidden and reported on the error event', async () => {
    const gw = await startGateway();
    const errors: unknown[] = [];
    gw.on('error', (e) => errors.push(e));
    gw.route('denied', () => {
      throw new GatewayError('not_allowed', 'you may not');
    });
    gw.route('crash', () => {
      throw new Error('secret database password');
    });
    gw.route('asyncCrash', async () => {
      throw new Error('secret too');
    });
    gw.route('unserializable', () => BigInt(1));
    const c = await open(gw);
    expect(await c.request('denied')).toEqual({
      type: 'error',
      id: 1,
      error: { code: 'not_allowed', message: 'you may not' },
    });
    expect(await c.request('crash')).toEqual({
      type: 'error',
      id: 2,
      error: { code: 'handler_error', message: 'internal error' },
    });
    expect(await c.request('asyncCrash')).toEqual({
      type: 'error',
      id: 3,
      error: { code: 'handler_error', message: 'internal error' },
    });
    expect((await c.request('unserializable')).error).toMatchObject({ code: 'handler_error' });
    expect(errors).toHaveLength(3);
    expect(gw.stats().errorsOut).toBe(4);
  });

  it('registering a type twice throws; unroute removes', async () => {
    const gw = await startGateway();
    gw.route('a', () => 1);
    expect(() => gw.route('a', () => 2)).toThrow(/already registered/);
    expect(gw.routes()).toEqual(['a']);
    expect(gw.unroute('a')).toBe(true);
    gw.route('a', () => 2);
    const c = await open(gw);
    expect((await c.request('a')).data).toBe(2);
  });

  it('the message event sees every valid envelope before routing', async () => {
    const gw = await startGateway();
    gw.route('x', () => 'ok');
    const seen: GatewayMessage[] = [];
    gw.on('message', (_s, m) => seen.push(m));
    const c = await open(gw);
    await c.request('x', { k: 1 });
    c.send('not json');
    await c.json();
    expect(seen).toEqual([{ raw: false, type: 'x', data: { k: 1 }, id: 1 }]);
  });
});

describe('bad input', () => {
  it('invalid JSON, missing or bad type, bad id: error replies, and the socket stays usable', async () => {
    const gw = await startGateway();
    gw.route('ping', () => 'pong');
    const c = await open(gw);
    const cases: [unknown, unknown][] = [
      ['{not json', { type: 'error', error: { code: 'bad_json', message: 'message is not valid JSON' } }],
      ['[1,2]', { type: 'error', error: { code: 'bad_envelope', message: 'message must be a JSON object' } }],
      ['"str"', { type: 'error', error: { code: 'bad_envelope', message: 'message must be a JSON object' } }],
      ['null', { type: 'error', error: { code: 'bad_envelope', message: 'message must be a JSON object' } }],
      [
        { data: 1, id: 9 },
        { type: 'error', id: 9, error: { code: 'bad_envelope' } },
      ],
      [
        { type: '', id: 10 },
        { type: 'error', id: 10, error: { code: 'bad_envelope' } },
      ],
      [
        { type: 5, id: 11 },
        { type: 'error', id: 11, error: { code: 'bad_envelope' } },
      ],
      [
        { type: 'x'.repeat(129), id: 12 },
        { type: 'error', id: 12, error: { code: 'bad_envelope' } },
      ],
      [
        { type: 'ping', id: { nested: true } },
        { type: 'error', error: { code: 'bad_envelope', message: '"id" must be a string or a finite number' } },
      ],
      [
        { type: 'nope', id: 13 },
        { type: 'error', id: 13, error: { code: 'unknown_type' } },
      ],
    ];
    for (const [input, expected] of cases) {
      c.send(input);
      expect(await c.json()).toMatchObject(expected as Record<string, unknown>);
    }
    expect((await c.request('ping')).data).toBe('pong');
  });

  it('binary frames without a binary handler close the socket with 1003; others are unaffected', async () => {
    const gw = await startGateway();
    gw.route('ping', () => 'pong');
    const bad = await open(gw);
    const good = await open(gw);
    bad.ws.send(Buffer.from([1, 2, 3]));
    expect(await bad.closed).toEqual({
      code: GatewayCloseCode.UnsupportedData,
      reason: 'binary messages are not accepted',
    });
    expect((await good.request('ping')).data).toBe('pong');
  });

  it('binary frames go to the binary handler when set', async () => {
    const gw = await startGateway();
    gw.onBinary((socket, data) => {
      socket.send(Buffer.from([...data].reverse()));
    });
    const c = await open(gw);
    c.ws.send(Buffer.from([1, 2, 3]));
    expect(await c.next()).toEqual(Buffer.from([3, 2, 1]));
  });

  it('a message over maxMessageSize closes that socket with 1009; others are unaffected', async () => {
    const gw = await startGateway({ maxMessageSize: 1024 });
    gw.route('ping', () => 'pong');
    const big = await open(gw);
    const other = await open(gw);
    big.send({ type: 'ping', data: 'x'.repeat(1024), id: 1 });
    expect((await big.closed).code).toBe(GatewayCloseCode.MessageTooBig);
    expect((await other.request('ping', 'y'.repeat(900))).data).toBe('pong');
  });

  it('rate limit (reject): over-limit messages are dropped with one rate_limited error per window', async () => {
    const gw = await startGateway({ rateLimit: { messages: 5, interval: 60_000 } });
    let handled = 0;
    gw.route('m', () => {
      handled++;
    });
    gw.route('ping', () => 'pong');
    const flood = await open(gw);
    const other = await open(gw);
    for (let i = 0; i < 50; i++) flood.send({ type: 'm' });
    expect(await flood.json()).toEqual({
      type: 'error',
      error: { code: 'rate_limited', message: 'more than 5 messages in 60000 ms: message dropped' },
    });
    expect(await flood.silentFor(50)).toBe(true);
    expect(handled).toBe(5);
    expect(flood.ws.readyState).toBe(flood.ws.OPEN);
    expect(gw.stats().rateLimited).toBe(45);
    expect((await other.request('ping')).data).toBe('pong');
  });

  it('rate limit: a new window admits messages again', async () => {
    const gw = await startGateway({ rateLimit: { messages: 2, interval: 50 } });
    gw.route('ping', () => 'pong');
    const c = await open(gw);
    expect((await c.request('ping')).data).toBe('pong');
    expect((await c.request('ping')).data).toBe('pong');
    c.send({ type: 'ping', id: 'over' });
    expect((await c.json()).error).toMatchObject({ code: 'rate_limited' });
    await new Promise((r) => setTimeout(r, 60));
    expect((await c.request('ping')).data).toBe('pong');
  });

  it('rate limit (close): the flooding socket is closed with 4029; others are unaffected', async () => {
    const gw = await startGateway({ rateLimit: { messages: 3, action: 'close' } });
    gw.route('ping', () => 'pong');
    const closes: [number, string][] = [];
    gw.on('close', (_s, code, reason) => closes.push([code, reason]));
    const flood = await open(gw);
    const other = await open(gw);
    for (let i = 0; i < 20; i++) flood.send({ type: 'ping' });
    expect(await flood.closed).toEqual({ code: GatewayCloseCode.RateLimited, reason: 'rate limit exceeded' });
    await waitFor(() => closes.length === 1);
    expect(closes).toEqual([[4029, 'rate limit exceeded']]);
    expect((await other.request('ping')).data).toBe('pong');
  });

  it('a burst of garbage from many sockets never takes the gateway down', async () => {
    const gw = await startGateway({ maxMessageSize: 4096 });
    gw.route('ping', () => 'pong');
    const errors: unknown[] = [];
    gw.on('error', (e) => errors.push(e));
    const clients = await Promise.all(Array.from({ length: 5 }, () => open(gw)));
    const garbage = [
      '',
      '{',
      '}',
      '[]',
      '{"type":null}',
      '{"type":"ping","id":[]}',
      '\u0000',
      '{"type":"__proto__"}',
      '{"__proto__":{"type":"x"}}',
    ];
    for (const c of clients) for (const g of garbage) c.send(g);
    for (const c of clients) {
      for (let i = 0; i < garbage.length; i++) expect((await c.json()).type).toBe('error');
      expect((await c.request('ping')).data).toBe('pong');
    }
    expect(errors).toEqual([]);
  });
});

describe('raw mode', () => {
  it('skips the envelope: message gets the bytes, binary is accepted, no error replies', async () => {
    const gw = await startGateway({ raw: true });
    const seen: GatewayMessage[] = [];
    gw.on('message', (socket, m) => {
      seen.push(m);
      if (m.raw) socket.send(m.binary ? m.data : `echo:${m.data.toString()}`);
    });
    const c = await open(gw);
    c.send('not json at all');
    expect(await c.next()).toBe('echo:not json at all');
    c.ws.send(Buffer.from([9, 8]));
    expect(await c.next()).toEqual(Buffer.from([9, 8]));
    expect(seen).toEqual([
      { raw: true, data: Buffer.from('not json at all'), binary: false },
      { raw: true, data: Buffer.from([9, 8]), binary: true },
    ]);
  });
});
