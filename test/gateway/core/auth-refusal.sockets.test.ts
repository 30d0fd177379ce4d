// Auth failures a browser can see: an `authenticate` refusal to a request with `Origin` is accepted and closed at
// once with 4000 + the status (4401, 4403, ...) and the refusal's error code as reason; without `Origin` it stays
// HTTP; `authFailure` forces either way; origin refusals stay HTTP 403. The refused socket is inert and short-lived.
import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { deny, GatewayCloseCode, type Gateway, type GatewayOptions } from '../../../src/gateway/index.js';
import { cleanup, clientFrame, startGateway, waitFor, wsUrl } from '../helpers.js';

afterEach(cleanup);

const tokenAuth: GatewayOptions['authenticate'] = (req) => {
  const token = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
  if (token === null) return false;
  if (token === 'banned') return deny(403, 'banned', 'this account is banned');
  if (token === 'slow-down') return deny(429, 'too_many_logins', 'wait a minute');
  if (token === 'boom') throw new Error('auth backend down: secret detail');
  return { uid: token };
};

type Outcome = { closed: { code: number; reason: string } } | { status: number } | { open: true };

/** Connects with the `ws` client (optionally sending `Origin`) and reports how the attempt ended. */
function attempt(url: string, origin?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin });
    let opened = false;
    ws.on('open', () => (opened = true));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('error', () => undefined);
    ws.on('close', (code, reason) =>
      resolve(opened ? { closed: { code, reason: reason.toString() } } : { open: true }),
    );
  });
}

function sameOrigin(gw: Gateway): string {
  return `http://127.0.0.1:${gw.port}`;
}

/** An upgrade request with `Origin` written by hand, followed (in the same write) by `after` bytes. */
function rawRefused(gw: Gateway, after: Buffer = Buffer.alloc(0)): Socket {
  const socket = netConnect(gw.port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(
    Buffer.concat([
      Buffer.from(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nOrigin: ${sameOrigin(gw)}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
          `Sec-WebSocket-Version: 13\r\n\r\n`,
      ),
      after,
    ]),
  );
  return socket;
}

describe('authenticate refusals answered in-band (authFailure)', () => {
  it("'auto' (default): with Origin → 101 then close 4401 unauthorized; without Origin → HTTP 401", async () => {
    const gw = await startGateway({ authenticate: tokenAuth });
    const events: string[] = [];
    gw.on('connect', () => events.push('connect'));
    gw.on('close', () => events.push('close'));
    expect(await attempt(wsUrl(gw), sameOrigin(gw))).toEqual({
      closed: { code: GatewayCloseCode.Unauthorized, reason: 'unauthorized' },
    });
    expect(await attempt(wsUrl(gw))).toEqual({ status: 401 });
    expect(gw.stats()).toMatchObject({ authRejected: 2, connections: 0, sockets: 0, messagesIn: 0 });
    expect(events).toEqual([]);
    expect(await gw.socketCount()).toBe(0);
  });

  it('deny(403) → 4403 with its code as reason, deny(429) → 4429, a throwing authenticate → 1011 auth_error', async () => {
    const gw = await startGateway({ authenticate: tokenAuth });
    const errors: unknown[] = [];
    gw.on('error', (e) => errors.push(e));
    const origin = sameOrigin(gw);
    expect(await attempt(`${wsUrl(gw)}?token=banned`, origin)).toEqual({
      closed: { code: GatewayCloseCode.Forbidden, reason: 'banned' },
    });
    expect(await attempt(`${wsUrl(gw)}?token=slow-down`, origin)).toEqual({
      closed: { code: 4429, reason: 'too_many_logins' },
    });
    expect(await attempt(`${wsUrl(gw)}?token=boom`, origin)).toEqual({ closed: { code: 1011, reason: 'auth_error' } });
    expect(errors).toHaveLength(1);
    // An accepted browser is unaffected.
    const ok = new WebSocket(`${wsUrl(gw)}?token=ada`, { origin });
    await new Promise((resolve) => ok.once('open', resolve));
    expect(gw.stats()).toMatchObject({ authRejected: 3, connections: 1 });
    ok.terminate();
  });

  it("'http' keeps HTTP for browsers; 'close' answers in-band without Origin too", async () => {
    const http = await startGateway({ authenticate: tokenAuth, authFailure: 'http' });
    expect(await attempt(wsUrl(http), sameOrigin(http))).toEqual({ status: 401 });
    const close = await startGateway({ authenticate: tokenAuth, authFailure: 'close' });
    expect(await attempt(`${wsUrl(close)}?token=banned`)).toEqual({ closed: { code: 4403, reason: 'banned' } });
  });

  it('origin refusals stay HTTP 403 whatever authFailure says (a foreign page gets no socket)', async () => {
    let asked = 0;
    const gw = await startGateway({
      authFailure: 'close',
      authenticate: () => {
        asked++;
        return false;
      },
    });
    expect(await attempt(wsUrl(gw), 'https://evil.example')).toEqual({ status: 403 });
    expect(asked).toBe(0);
    expect(gw.stats().authRejected).toBe(0);
  });

  it('a refused upgrade is accepted with subprotocol wsgate.refused when offered, an accepted one with wsgate', async () => {
    const gw = await startGateway({ authenticate: tokenAuth });
    const origin = sameOrigin(gw);
    const protocolOf = (url: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url, ['app', 'wsgate', 'wsgate.refused'], { origin });
        ws.on('open', () => {
          resolve(ws.protocol);
          ws.terminate();
        });
        ws.on('error', reject);
      });
    expect(await protocolOf(wsUrl(gw))).toBe('wsgate.refused');
    expect(await protocolOf(`${wsUrl(gw)}?token=ada`)).toBe('wsgate');
    // Not offered: no subprotocol, as before.
    expect(await attempt(wsUrl(gw), origin)).toEqual({ closed: { code: 4401, reason: 'unauthorized' } });
  });

  it('a bad authFailure value is a TypeError naming the option', async () => {
    await expect(startGateway({ authFailure: 'maybe' as 'auto' })).rejects.toThrow(/authFailure/);
  });

  it('the refused socket is inert: messages pipelined after the handshake reach no route, event or counter', async () => {
    const gw = await startGateway({ authenticate: tokenAuth, closeTimeout: 300 });
    let routed = 0;
    let messages = 0;
    gw.route('hello', () => routed++);
    gw.on('message', () => messages++);
    gw.onBinary(() => routed++);
    const frames = Buffer.concat([
      clientFrame(1, JSON.stringify({ type: 'hello', id: 1 })),
      clientFrame(2, Buffer.from([1, 2, 3])),
      clientFrame(1, JSON.stringify({ type: 'hello', id: 2 })),
    ]);
    const socket = rawRefused(gw, frames);
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    await new Promise((resolve) => socket.once('close', resolve));
    const text = received.toString('latin1');
    expect(text.startsWith('HTTP/1.1 101')).toBe(true);
    const frame = received.subarray(received.indexOf('\r\n\r\n') + 4);
    // One close frame (opcode 8) with 4401 "unauthorized", and no reply frame before it.
    expect(frame[0]).toBe(0x88);
    expect(frame.readUInt16BE(2)).toBe(4401);
    expect(frame.subarray(4, 2 + frame[1]!).toString()).toBe('unauthorized');
    expect({ routed, messages }).toEqual({ routed: 0, messages: 0 });
    expect(gw.stats()).toMatchObject({ messagesIn: 0, messagesOut: 0, errorsOut: 0, connections: 0, sockets: 0 });
  });

  it('a flood of refused upgrades leaves nothing behind, and a peer that never answers the close is dropped', async () => {
    const gw = await startGateway({ authenticate: tokenAuth, closeTimeout: 300 });
    const total = 200;
    const origin = sameOrigin(gw);
    for (let batch = 0; batch < total / 50; batch++) {
      const outcomes = await Promise.all(Array.from({ length: 50 }, () => attempt(wsUrl(gw), origin)));
      for (const outcome of outcomes) expect(outcome).toEqual({ closed: { code: 4401, reason: 'unauthorized' } });
    }
    expect(await waitFor(() => gw.server.clients.size === 0, 5_000)).toBe(true);
    expect(gw.stats()).toMatchObject({ authRejected: total, connections: 0, sockets: 0 });

    // Raw peers that never send their close frame: dropped by the server after closeTimeout, not kept open.
    const silent = Array.from({ length: 20 }, () => rawRefused(gw).resume());
    const started = Date.now();
    await Promise.all(
      silent.map((s) => new Promise((resolve) => (s.destroyed ? resolve(0) : s.once('close', resolve)))),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await waitFor(() => gw.server.clients.size === 0, 5_000)).toBe(true);
    expect(gw.stats()).toMatchObject({ authRejected: total + 20, connections: 0 });
  });
});
