// Auth at the upgrade (authenticate → uid and session, or 401/403 with a JSON body before any 101) and in-band
// (a socket that has not bound a uid within authTimeout is closed with 4001).
import { connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, ConnectError } from '../../../src/index.js';
import { deny, GatewayCloseCode, installDemoRoutes, type GatewayOptions } from '../../../src/gateway/index.js';
import { reject } from '../../../src/server/upgrade.js';
import { cleanup, delay, open, startGateway, TestClient, waitFor, wsUrl } from '../helpers.js';

afterEach(cleanup);

async function refusal(url: string): Promise<{ status: number; body: unknown }> {
  try {
    const ws = await connect(url);
    ws.terminate();
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    const e = error as ConnectError;
    return { status: e.status, body: JSON.parse(e.body) as unknown };
  }
  throw new Error('the upgrade was accepted');
}

/** The raw HTTP response to an upgrade request, up to the end of the connection. */
function rawResponse(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

const tokenAuth: GatewayOptions['authenticate'] = (req) => {
  const token = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
  if (token === null) return false;
  if (token === 'banned') return deny(403, 'banned', 'this account is banned');
  if (token === 'old') return reject(403, { error: { code: 'expired', message: 'token expired' } });
  if (token === 'boom') throw new Error('auth backend down: secret detail');
  return { uid: token.replace('tok-', ''), session: { plan: 'pro' } };
};

describe('authenticate at the upgrade', () => {
  it('false → 401 with a JSON body, before any 101', async () => {
    const gw = await startGateway({ authenticate: tokenAuth });
    expect(await refusal(wsUrl(gw))).toEqual({
      status: 401,
      body: { error: { code: 'unauthorized', message: 'authentication required' } },
    });
    const raw = await rawResponse(gw.port, '/ws');
    expect(raw.startsWith('HTTP/1.1 401')).toBe(true);
    expect(raw).not.toContain('101');
    expect(raw.toLowerCase()).toContain('content-type: application/json');
    expect(gw.stats()).toMatchObject({ authRejected: 2, connections: 0 });
  });

  it('deny() and the server reject() → 403 with their JSON bodies', async () => {
    const gw = await startGateway({ authenticate: tokenAuth });
    expect(await refusal(`${wsUrl(gw)}?token=banned`)).toEqual({
      status: 403,
      body: { error: { code: 'banned', message: 'this account is banned' } },
    });
    expect(await refusal(`${wsUrl(gw)}?token=old`)).toEqual({
      status: 403,
      body: { error: { code: 'expired', message: 'token expired' } },
    });
  });

  it('a throwing authenticate → 500 auth_error, details only on the error event', async () => {
    const gw = await startGateway({ authenticate: tokenAuth });
    const errors: unknown[] = [];
    gw.on('error', (e) => errors.push(e));
    expect(await refusal(`${wsUrl(gw)}?token=boom`)).toEqual({
      status: 500,
      body: { error: { code: 'auth_error', message: 'authentication failed' } },
    });
    expect((errors[0] as Error).message).toContain('secret detail');
  });

  it('{uid, session} binds the socket before the connect event', async () => {
    const gw = await startGateway({ authenticate: async (req) => tokenAuth(req) });
    installDemoRoutes(gw);
    const atConnect: unknown[] = [];
    gw.on('connect', (socket) => atConnect.push([socket.uid, { ...socket.session }]));
    await expect(open(gw)).rejects.toThrow('HTTP 401'); // no token
    const a = await TestClient.open(`${wsUrl(gw)}?token=tok-ada`);
    expect(atConnect).toEqual([['ada', { plan: 'pro' }]]);
    const me = await a.request('whoami');
    expect(me.data).toMatchObject({ uid: 'ada', session: { plan: 'pro' } });
    expect(await gw.isUidOnline('ada')).toBe(true);
  });
});

describe('in-band auth: authTimeout', () => {
  it('closes a socket that has not bound a uid in time with 4001; bound ones stay', async () => {
    const gw = await startGateway({ authTimeout: 100 });
    gw.route('login', async ({ gateway, socket, data }) => gateway.bindUid(socket.id, data as string));
    const closes: [number, string][] = [];
    gw.on('close', (_s, code, reason) => closes.push([code, reason]));
    const start = Date.now();
    const lazy = await open(gw);
    const quick = await open(gw);
    expect((await quick.request('login', 'bob')).data).toBe(true);
    const closed = await lazy.closed;
    const elapsed = Date.now() - start;
    expect(closed).toEqual({ code: GatewayCloseCode.AuthTimeout, reason: 'authentication timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(95);
    expect(elapsed).toBeLessThan(1_000);
    await waitFor(() => closes.length === 1);
    expect(closes).toEqual([[4001, 'authentication timeout']]);
    await delay(150);
    expect(quick.ws.readyState).toBe(quick.ws.OPEN);
    expect(gw.stats().authTimeouts).toBe(1);
  });

  it('does not apply to sockets bound by authenticate, and is off by default', async () => {
    const gw = await startGateway({ authTimeout: 50, authenticate: () => ({ uid: 'u1' }) });
    const c = await open(gw);
    const plain = await startGateway();
    const d = await open(plain);
    await delay(120);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    expect(d.ws.readyState).toBe(d.ws.OPEN);
  });
});
