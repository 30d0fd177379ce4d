import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src/gateway/core/dispatch.js';
import { GatewayError } from '../../../src/gateway/core/errors.js';
import { GatewayEmitter } from '../../../src/gateway/core/events.js';
import type { GatewayApi, ResolvedGatewayOptions } from '../../../src/gateway/core/gateway-api.js';
import { missedSweeps } from '../../../src/gateway/core/heartbeat.js';
import { createCounters } from '../../../src/gateway/core/stats.js';
import { FakeClock, openSocket } from '../kit.js';

const BASE: ResolvedGatewayOptions = {
  path: '/ws',
  nodeId: 'n1',
  heartbeat: null,
  authTimeout: 0,
  rateLimit: null,
  maxMessageSize: 1 << 20,
  maxGroupsPerSocket: 128,
  raw: false,
  apiKey: undefined,
};

function setup(options: Partial<ResolvedGatewayOptions> = {}) {
  const clock = new FakeClock();
  const counters = createCounters();
  const events = new GatewayEmitter();
  const errors: unknown[] = [];
  events.on('error', (error) => errors.push(error));
  // Route handlers see the gateway only through GatewayApi; the dispatcher never calls it itself.
  const gateway = {} as GatewayApi;
  const dispatcher = new Dispatcher(gateway, { ...BASE, ...options }, events, counters, clock);
  const { socket, transport } = openSocket({ counters });
  const receive = (value: unknown): void =>
    dispatcher.receive(socket, Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), false);
  return { clock, counters, events, errors, gateway, dispatcher, socket, transport, receive };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Dispatcher (no sockets)', () => {
  it('routes an envelope and replies with the handler result when there is an id', async () => {
    const { dispatcher, transport, receive, gateway, socket } = setup();
    let seen: unknown;
    dispatcher.routes.set('echo', (ctx) => {
      seen = ctx;
      return ctx.data;
    });
    receive({ type: 'echo', data: { a: 1 }, id: 1 });
    receive({ type: 'echo', data: 'no reply' });
    expect(seen).toMatchObject({ gateway, socket, type: 'echo', data: 'no reply', id: undefined });
    expect(transport.json()).toEqual([{ type: 'echo', id: 1, data: { a: 1 } }]);
    dispatcher.routes.set('later', async () => 'done');
    receive({ type: 'later', id: 'x' });
    await flush();
    expect(transport.json()[1]).toEqual({ type: 'later', id: 'x', data: 'done' });
  });

  it('answers unknown types, bad JSON and bad envelopes with error envelopes, and counts them', () => {
    const { transport, receive, counters } = setup();
    receive({ type: 'nope', id: 2 });
    receive('{oops');
    receive({ type: '' });
    expect(transport.json()).toEqual([
      { type: 'error', id: 2, error: { code: 'unknown_type', message: 'unknown type "nope"' } },
      { type: 'error', error: { code: 'bad_json', message: 'message is not valid JSON' } },
      { type: 'error', error: expect.objectContaining({ code: 'bad_envelope' }) },
    ]);
    expect(counters).toMatchObject({ messagesIn: 3, errorsOut: 3, messagesOut: 3 });
  });

  it('sends a GatewayError as its code; hides anything else behind handler_error and reports it', async () => {
    const { dispatcher, transport, receive, errors } = setup();
    dispatcher.routes.set('refuse', () => {
      throw new GatewayError('nope', 'not you');
    });
    const boom = new Error('secret detail');
    dispatcher.routes.set('crash', async () => {
      throw boom;
    });
    receive({ type: 'refuse', id: 1 });
    receive({ type: 'crash', id: 2 });
    await flush();
    expect(transport.json()).toEqual([
      { type: 'error', id: 1, error: { code: 'nope', message: 'not you' } },
      { type: 'error', id: 2, error: { code: 'handler_error', message: 'internal error' } },
    ]);
    expect(errors).toEqual([boom]);
  });

  it('uses the fallback route for types without their own', () => {
    const { dispatcher, transport, receive } = setup();
    dispatcher.routes.set('*', (ctx) => `fallback ${ctx.type}`);
    receive({ type: 'anything', id: 1 });
    expect(transport.json()).toEqual([{ type: 'anything', id: 1, data: 'fallback anything' }]);
  });

  it('marks the socket alive on every message', () => {
    const { dispatcher, socket, receive } = setup();
    dispatcher.routes.set('x', () => undefined);
    receive({ type: 'x' });
    expect(socket.liveness & 1).toBe(1);
    expect(missedSweeps(socket)).toBe(0);
  });

  it("rate limit 'reject': drops extra messages unread with one rate_limited error per window (clock-driven)", () => {
    const { dispatcher, transport, receive, clock, counters } = setup({
      rateLimit: { messages: 2, interval: 1000, action: 'reject' },
    });
    const handled: unknown[] = [];
    dispatcher.routes.set('m', (ctx) => void handled.push(ctx.data));
    for (let i = 0; i < 5; i++) receive({ type: 'm', data: i });
    expect(handled).toEqual([0, 1]);
    expect(transport.json()).toEqual([
      { type: 'error', error: { code: 'rate_limited', message: 'more than 2 messages in 1000 ms: message dropped' } },
    ]);
    expect(counters.rateLimited).toBe(3);
    clock.advance(1000);
    receive({ type: 'm', data: 5 });
    expect(handled).toEqual([0, 1, 5]);
  });

  it("rate limit 'close': closes with 4029, and the close event will report 4029", () => {
    const { transport, receive, socket } = setup({ rateLimit: { messages: 1, interval: 1000, action: 'close' } });
    receive({ type: 'm' });
    receive({ type: 'm' });
    expect(transport.closed).toEqual({ code: 4029, reason: 'rate limit exceeded' });
    expect(socket.closeCode).toBe(4029);
  });

  it('binary in JSON mode: 1003 without a handler, the handler with one', () => {
    const a = setup();
    a.dispatcher.receive(a.socket, Buffer.from([1, 2]), true);
    expect(a.transport.closed).toEqual({ code: 1003, reason: 'binary messages are not accepted' });
    const b = setup();
    const got: Buffer[] = [];
    b.dispatcher.binaryHandler = (_socket, data) => void got.push(data);
    b.dispatcher.receive(b.socket, Buffer.from([1, 2]), true);
    expect(got).toEqual([Buffer.from([1, 2])]);
    expect(b.transport.closed).toBeNull();
  });

  it('raw mode: every message goes to the message event as bytes, no replies', () => {
    const { dispatcher, events, socket, transport } = setup({ raw: true });
    const seen: unknown[] = [];
    events.on('message', (_s, message) => seen.push(message));
    dispatcher.receive(socket, Buffer.from('{"type":"x","id":1}'), false);
    expect(seen).toEqual([{ raw: true, data: Buffer.from('{"type":"x","id":1}'), binary: false }]);
    expect(transport.sent).toEqual([]);
  });

  it('a reply that cannot be JSON becomes an error reply', () => {
    const { dispatcher, transport, receive, errors } = setup();
    dispatcher.routes.set('big', () => ({ n: 1n }));
    receive({ type: 'big', id: 9 });
    expect(transport.json()).toEqual([
      { type: 'error', id: 9, error: { code: 'handler_error', message: 'internal error' } },
    ]);
    expect(errors).toHaveLength(1);
  });
});
