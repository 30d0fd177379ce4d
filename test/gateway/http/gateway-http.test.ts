// The gateway's HTTP surface over real sockets: /status, /metrics, the push API (happy paths and every error
// status), the browser client and demo page, and user routes.
import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import { createGateway, type Gateway } from '../../../src/gateway/core/gateway.js';
import { installDemoRoutes } from '../../../src/gateway/demo/chat-routes.js';
import { HttpError, installHttp, type GatewayHttp } from '../../../src/gateway/http/index.js';
import { WsgateClient } from '../../../src/gateway/public/wsgate-client.js';
import { httpCall, type HttpReply } from '../helpers.js';

const KEY = 'test-key-0123456789';
const AUTH = { authorization: `Bearer ${KEY}` };

function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = AUTH,
): Promise<HttpReply> {
  return httpCall(base + path, method, body, headers);
}

/** A WebSocket client of the gateway (the browser client, run in Node on `ws`), with everything pushed to it. */
interface Peer {
  client: WsgateClient;
  socketId: string;
  pushed: unknown[];
}

const openClients: WsgateClient[] = [];

async function peer(gateway: Gateway): Promise<Peer> {
  const client = new WsgateClient(`ws://127.0.0.1:${gateway.port}/ws`, { WebSocket: NodeWebSocket, reconnect: false });
  openClients.push(client);
  const pushed: unknown[] = [];
  client.on('message', (envelope) => void pushed.push(envelope));
  const me = await client.request<{ socketId: string }>('whoami');
  return { client, socketId: me.socketId, pushed };
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

afterEach(() => {
  for (const c of openClients.splice(0)) c.close();
});

describe('gateway HTTP with an API key', () => {
  let gateway: Gateway;
  let http: GatewayHttp;
  let base: string;
  const errors: unknown[] = [];

  beforeAll(async () => {
    gateway = await createGateway({ port: 0, host: '127.0.0.1', apiKey: KEY, heartbeat: false, web: false });
    gateway.on('error', (error) => void errors.push(error));
    installDemoRoutes(gateway);
    http = installHttp(gateway, { demo: true });
    http.get('/hello/:name', ({ params, query }) => ({ hello: params.name, loud: query.get('loud') === '1' }));
    http.post('/echo', async ({ json }) => ({ echoed: await json() }));
    http.get('/teapot', () => {
      throw new HttpError(418, 'teapot', 'short and stout');
    });
    http.get('/broken', () => {
      throw new Error('secret internals');
    });
    http.get('/nothing', () => undefined);
    http.get('/custom', ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('custom body');
    });
    http.get('/api/mine', () => ({ mine: true }));
    base = `http://127.0.0.1:${gateway.port}`;
  });

  afterAll(async () => {
    await gateway.close({ timeout: 500 });
  });

  describe('GET /status', () => {
    it('reports sockets, uids, groups, uptime and message counts', async () => {
      const a = await peer(gateway);
      const b = await peer(gateway);
      await a.client.request('bind', { uid: 'ada' });
      await a.client.request('join', { group: 'lobby' });
      await b.client.request('join', { group: 'lobby' });
      await b.client.request('join', { group: 'other' });
      const res = await call(base, 'GET', '/status', undefined, {});
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.json).toMatchObject({ nodeId: gateway.nodeId, sockets: 2, uids: 1, groups: 2 });
      expect(res.json.messagesIn).toBeGreaterThanOrEqual(6);
      expect(res.json.messagesOut).toBeGreaterThanOrEqual(6);
      expect(typeof res.json.uptime).toBe('number');
      // Process details only for the API key's holders (a Prometheus-style bearer token).
      expect(res.json.memory).toBeUndefined();
      expect(res.json.pid).toBeUndefined();
      expect(res.json.node).toBeUndefined();
      const wrong = await call(base, 'GET', '/status', undefined, { authorization: 'Bearer nope' });
      expect(wrong.status).toBe(200);
      expect(wrong.json.memory).toBeUndefined();
      const keyed = await call(base, 'GET', '/status');
      expect(keyed.json).toMatchObject({ sockets: 2, uids: 1, groups: 2, pid: process.pid, node: process.version });
      expect(keyed.json.memory.rss).toBeGreaterThan(0);
      expect(keyed.json.memory.heapUsed).toBeGreaterThan(0);
    });

    it('answers HEAD without a body and refuses POST with 405', async () => {
      const head = await call(base, 'HEAD', '/status', undefined, {});
      expect(head.status).toBe(200);
      expect(head.text).toBe('');
      const post = await call(base, 'POST', '/status', {}, {});
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
      expect(post.json.error.code).toBe('method_not_allowed');
    });
  });

  describe('GET /metrics', () => {
    it('is Prometheus text format 0.0.4 with HELP and TYPE for every metric', async () => {
      const a = await peer(gateway);
      await a.client.request('bind', { uid: 'metrics-user' });
      const anonymous = await call(base, 'GET', '/metrics', undefined, {});
      expect(anonymous.status).toBe(200);
      expect(anonymous.text).toContain(`wsgate_sockets{node_id="${gateway.nodeId}"} 1`);
      expect(anonymous.text).not.toMatch(/^(process|nodejs)_/m);
      const res = await call(base, 'GET', '/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(res.text.endsWith('\n')).toBe(true);

      const declared = new Map<string, string>();
      const values = new Map<string, number>();
      let help = '';
      for (const line of res.text.trimEnd().split('\n')) {
        let m: RegExpExecArray | null;
        if ((m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line))) {
          help = m[1]!;
        } else if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter)$/.exec(line))) {
          expect(m[1]).toBe(help);
          declared.set(m[1]!, m[2]!);
        } else if (
          (m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-z_]+="[^"]*"(?:,[a-z_]+="[^"]*")*\})? (-?[0-9.e+]+|NaN|[+-]Inf)$/.exec(
            line,
          ))
        ) {
          expect(declared.has(m[1]!), `sample ${m[1]} without TYPE`).toBe(true);
          values.set(m[1]!, Number(m[3]));
        } else {
          throw new Error(`not exposition format: ${JSON.stringify(line)}`);
        }
      }
      expect(declared.get('wsgate_sockets')).toBe('gauge');
      expect(declared.get('wsgate_uids')).toBe('gauge');
      expect(declared.get('wsgate_groups')).toBe('gauge');
      expect(declared.get('wsgate_uptime_seconds')).toBe('gauge');
      expect(declared.get('wsgate_messages_in_total')).toBe('counter');
      expect(declared.get('wsgate_messages_out_total')).toBe('counter');
      expect(declared.get('process_resident_memory_bytes')).toBe('gauge');
      for (const [name, type] of declared) expect(name.endsWith('_total')).toBe(type === 'counter');
      expect(values.get('wsgate_sockets')).toBe(1);
      expect(values.get('wsgate_uids')).toBe(1);
      expect(values.get('wsgate_messages_in_total')).toBeGreaterThanOrEqual(2);
      expect(values.get('process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(res.text).toContain(`wsgate_info{node_id="${gateway.nodeId}"} 1`);
    });
  });

  describe('push API', () => {
    it('sendToSocket delivers to one socket or a list', async () => {
      const a = await peer(gateway);
      const b = await peer(gateway);
      const one = await call(base, 'POST', '/api/sendToSocket', {
        socketId: a.socketId,
        message: { type: 'note', data: 1 },
      });
      expect(one).toMatchObject({ status: 200, json: { ok: true, delivered: 1 } });
      const many = await call(base, 'POST', '/api/sendToSocket', {
        socketId: [a.socketId, b.socketId],
        message: 'plain text',
      });
      expect(many.json).toEqual({ ok: true, delivered: 2 });
      const missing = await call(base, 'POST', '/api/sendToSocket', {
        socketId: `${gateway.nodeId}.zzzz`,
        message: 'x',
      });
      expect(missing.json).toEqual({ ok: true, delivered: 0 });
      await until(() => a.pushed.length === 1 && b.pushed.length === 0, 'the pushes');
      expect(a.pushed).toEqual([{ type: 'note', data: 1 }]);
      // 'plain text' is not an envelope: the client reports it as an error and does not emit it as a message.
    });

    it('sendToUid reaches every socket of the uid, minus exclude', async () => {
      const a = await peer(gateway);
      const a2 = await peer(gateway);
      await a.client.request('bind', { uid: 'grace' });
      await a2.client.request('bind', { uid: 'grace' });
      const res = await call(base, 'POST', '/api/sendToUid', { uid: 'grace', message: { type: 'dm', data: 'hi' } });
      expect(res.json).toEqual({ ok: true, delivered: 2 });
      const excl = await call(base, 'POST', '/api/sendToUid', {
        uid: ['grace'],
        message: { type: 'dm', data: 'again' },
        exclude: a2.socketId,
      });
      expect(excl.json).toEqual({ ok: true, delivered: 1 });
      await until(() => a.pushed.length === 2 && a2.pushed.length === 1, 'the pushes');
      expect(a.pushed).toEqual([
        { type: 'dm', data: 'hi' },
        { type: 'dm', data: 'again' },
      ]);
    });

    it('sendToGroup reaches the members, minus exclude', async () => {
      const a = await peer(gateway);
      const b = await peer(gateway);
      const outsider = await peer(gateway);
      await a.client.request('join', { group: 'g-send' });
      await b.client.request('join', { group: 'g-send' });
      const res = await call(base, 'POST', '/api/sendToGroup', {
        group: 'g-send',
        message: { type: 'news', data: 1 },
        exclude: [b.socketId],
      });
      expect(res.json).toEqual({ ok: true, delivered: 1 });
      const all = await call(base, 'POST', '/api/sendToGroup', { group: 'g-send', message: { type: 'news', data: 2 } });
      expect(all.json).toEqual({ ok: true, delivered: 2 });
      await until(() => a.pushed.length === 2 && b.pushed.length === 1, 'the pushes');
      expect(outsider.pushed).toEqual([]);
    });

    it('sendToAll reaches everyone, minus exclude', async () => {
      const a = await peer(gateway);
      const b = await peer(gateway);
      const total = gateway.stats().sockets;
      const res = await call(base, 'POST', '/api/sendToAll', { message: { type: 'broadcast' }, exclude: b.socketId });
      expect(res.json).toEqual({ ok: true, delivered: total - 1 });
      await until(() => a.pushed.length === 1, 'the push');
      expect(a.pushed).toEqual([{ type: 'broadcast' }]);
      expect(b.pushed).toEqual([]);
    });

    it('bind and unbind a uid', async () => {
      const a = await peer(gateway);
      expect((await call(base, 'POST', '/api/bind', { socketId: a.socketId, uid: 'linus' })).json).toEqual({
        ok: true,
      });
      expect((await a.client.request<{ uid: string }>('whoami')).uid).toBe('linus');
      expect((await call(base, 'GET', '/api/uids/linus/online')).json).toEqual({ uid: 'linus', online: true });
      expect((await call(base, 'GET', '/api/uids/linus')).json).toEqual({
        uid: 'linus',
        online: true,
        sockets: [a.socketId],
      });
      expect((await call(base, 'GET', '/api/uids')).json.uids).toContain('linus');
      expect((await call(base, 'POST', '/api/unbind', { socketId: a.socketId, uid: 'someone-else' })).json).toEqual({
        ok: false,
      });
      expect((await call(base, 'POST', '/api/unbind', { socketId: a.socketId })).json).toEqual({ ok: true });
      expect((await call(base, 'GET', '/api/uids/linus/online')).json).toEqual({ uid: 'linus', online: false });
      expect((await call(base, 'POST', '/api/bind', { socketId: `${gateway.nodeId}.zzzz`, uid: 'x' })).json).toEqual({
        ok: false,
      });
    });

    it('join, leave and ungroup', async () => {
      const a = await peer(gateway);
      const b = await peer(gateway);
      expect((await call(base, 'POST', '/api/join', { socketId: a.socketId, group: 'g-api' })).json).toEqual({
        ok: true,
      });
      expect((await call(base, 'POST', '/api/join', { socketId: b.socketId, group: 'g-api' })).json).toEqual({
        ok: true,
      });
      const group = await call(base, 'GET', '/api/groups/g-api');
      expect(group.json).toMatchObject({ group: 'g-api', count: 2 });
      expect(group.json.sockets.sort()).toEqual([a.socketId, b.socketId].sort());
      expect((await call(base, 'GET', '/api/groups')).json.groups).toContain('g-api');
      expect((await call(base, 'POST', '/api/leave', { socketId: a.socketId, group: 'g-api' })).json).toEqual({
        ok: true,
      });
      expect((await call(base, 'POST', '/api/leave', { socketId: a.socketId, group: 'g-api' })).json).toEqual({
        ok: false,
      });
      expect((await call(base, 'POST', '/api/ungroup', { group: 'g-api' })).json).toEqual({ ok: true, removed: 1 });
      expect((await call(base, 'GET', '/api/groups/g-api')).json).toEqual({
        group: 'g-api',
        count: 0,
        sockets: [],
        uids: [],
      });
    });

    it('sessions and the socket query', async () => {
      const a = await peer(gateway);
      expect(
        (await call(base, 'POST', '/api/setSession', { socketId: a.socketId, session: { room: 1 } })).json,
      ).toEqual({ ok: true });
      expect(
        (await call(base, 'POST', '/api/updateSession', { socketId: a.socketId, session: { lang: 'en' } })).json,
      ).toEqual({ ok: true });
      await call(base, 'POST', '/api/join', { socketId: a.socketId, group: 'g-q' });
      const info = await call(base, 'GET', `/api/sockets/${encodeURIComponent(a.socketId)}`);
      expect(info.json).toEqual({
        socketId: a.socketId,
        online: true,
        uid: null,
        groups: ['g-q'],
        session: { room: 1, lang: 'en' },
      });
      const gone = await call(base, 'GET', `/api/sockets/${gateway.nodeId}.zzzz`);
      expect(gone.json).toEqual({
        socketId: `${gateway.nodeId}.zzzz`,
        online: false,
        uid: null,
        groups: [],
        session: null,
      });
    });

    it('close ends a socket with the given code and reason', async () => {
      const a = await peer(gateway);
      const closed = new Promise<{ code: number; reason: string }>((resolve) => a.client.once('close', resolve));
      const res = await call(base, 'POST', '/api/close', { socketId: a.socketId, code: 4100, reason: 'kicked' });
      expect(res.json).toEqual({ ok: true });
      expect(await closed).toMatchObject({ code: 4100, reason: 'kicked' });
      expect((await call(base, 'POST', '/api/close', { socketId: a.socketId })).json).toEqual({ ok: false });
    });

    it('401 without a key, with a wrong key or another scheme', async () => {
      for (const headers of <Record<string, string>[]>[
        {},
        { authorization: 'Bearer wrong' },
        { authorization: `Basic ${KEY}` },
        { authorization: `Bearer ${KEY}x` },
      ]) {
        const res = await call(base, 'POST', '/api/sendToAll', { message: 'x' }, headers);
        expect(res.status).toBe(401);
        expect(res.json.error.code).toBe('unauthorized');
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="wsgate"');
      }
      // Unknown API paths are not revealed without the key either.
      expect((await call(base, 'GET', '/api/nope', undefined, {})).status).toBe(401);
    });

    it('400 on invalid JSON, a non-object, missing fields and wrong types, naming the field', async () => {
      const cases: [string, unknown, RegExp][] = [
        ['/api/sendToAll', '{"message":', /not valid JSON/],
        ['/api/sendToAll', '', /empty/],
        ['/api/sendToAll', [1, 2], /JSON object/],
        ['/api/sendToAll', {}, /missing field "message"/],
        ['/api/sendToAll', { message: 'x', exclude: 5 }, /field "exclude"/],
        ['/api/sendToAll', { message: 'x', onlyBound: 'yes' }, /field "onlyBound"/],
        ['/api/sendToSocket', { message: 'x' }, /missing field "socketId"/],
        ['/api/sendToSocket', { socketId: 42, message: 'x' }, /field "socketId" must be/],
        ['/api/sendToUid', { uid: {}, message: 'x' }, /field "uid" must be/],
        ['/api/sendToUid', { uid: [], message: 'x' }, /field "uid" must be/],
        ['/api/sendToGroup', { message: 'x' }, /missing field "group"/],
        ['/api/bind', { socketId: 'a.1' }, /missing field "uid"/],
        ['/api/join', { socketId: 'a.1', group: true }, /field "group" must be/],
        ['/api/close', { socketId: 'a.1', code: 'x' }, /field "code" must be an integer/],
        ['/api/close', { socketId: 'a.1', reason: 7 }, /field "reason" must be a string/],
        ['/api/setSession', { socketId: 'a.1', session: [1] }, /field "session" must be a JSON object/],
      ];
      for (const [path, body, message] of cases) {
        const res = await call(base, 'POST', path, body);
        expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
        expect(res.json.error.message).toMatch(message);
      }
    });

    it('400 invalid_argument when the gateway refuses a value (close code, long uid)', async () => {
      const a = await peer(gateway);
      const code = await call(base, 'POST', '/api/close', { socketId: a.socketId, code: 1005 });
      expect(code.status).toBe(400);
      expect(code.json.error.code).toBe('invalid_argument');
      const uid = await call(base, 'POST', '/api/bind', { socketId: a.socketId, uid: 'x'.repeat(300) });
      expect(uid.status).toBe(400);
      expect(uid.json.error.code).toBe('invalid_argument');
    });

    it('404 on an unknown API route, 405 on a wrong method', async () => {
      const unknown = await call(base, 'POST', '/api/sendToMars', { message: 'x' });
      expect(unknown.status).toBe(404);
      expect(unknown.json.error.code).toBe('not_found');
      const wrong = await call(base, 'GET', '/api/sendToAll');
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('POST');
      const wrong2 = await call(base, 'DELETE', '/api/uids/x');
      expect(wrong2.status).toBe(405);
      expect(wrong2.headers.get('allow')).toBe('GET, HEAD');
    });

    it('413 on a body over 1 MiB, declared or streamed', async () => {
      const big = JSON.stringify({ message: 'x'.repeat(1024 * 1024) });
      const declared = await call(base, 'POST', '/api/sendToAll', big);
      expect(declared.status).toBe(413);
      expect(declared.json.error.code).toBe('payload_too_large');

      const streamed = await new Promise<number>((resolve, reject) => {
        const req = request(
          `${base}/api/sendToAll`,
          { method: 'POST', headers: { ...AUTH, 'transfer-encoding': 'chunked' } },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', reject);
        req.write(big.slice(0, 600_000));
        req.end(big.slice(600_000));
      });
      expect(streamed).toBe(413);
      // The gateway is still fine.
      expect((await call(base, 'GET', '/status', undefined, {})).status).toBe(200);
    });

    it('400 on a malformed percent-encoded parameter', async () => {
      const res = await call(base, 'GET', '/api/uids/%E0%A4%A/online');
      expect(res.status).toBe(400);
    });
  });

  describe('browser files', () => {
    it('serves /wsgate.js as JavaScript with an ETag', async () => {
      const res = await call(base, 'GET', '/wsgate.js', undefined, {});
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(res.text).toContain('export class WsgateClient');
      const etag = res.headers.get('etag')!;
      expect(etag).toMatch(/^".+"$/);
      const again = await call(base, 'GET', '/wsgate.js', undefined, { 'if-none-match': etag });
      expect(again.status).toBe(304);
    });

    it('serves the demo page at / with the WebSocket path filled in', async () => {
      const res = await call(base, 'GET', '/', undefined, {});
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.text).toContain('<meta name="wsgate-path" content="/ws">');
      expect(res.text).toContain('<script type="module" src="/demo.js"></script>');
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("connect-src 'self'");
      // No inline script or style may run, and no other site may frame the page.
      expect(csp).toContain("script-src 'self';");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(res.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/);
      const script = await call(base, 'GET', '/demo.js', undefined, {});
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(script.text).toContain("from '/wsgate.js'");
      const css = await call(base, 'GET', '/demo.css', undefined, {});
      expect(css.status).toBe(200);
      expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    });
  });

  describe('user routes', () => {
    it('GET with :params and query, POST with a JSON body', async () => {
      expect((await call(base, 'GET', '/hello/w%C3%B6rld?loud=1', undefined, {})).json).toEqual({
        hello: 'wörld',
        loud: true,
      });
      expect((await call(base, 'POST', '/echo', { a: 1 }, {})).json).toEqual({ echoed: { a: 1 } });
      expect((await call(base, 'POST', '/echo', '{', {})).status).toBe(400);
      expect((await call(base, 'PUT', '/echo', {}, {})).status).toBe(405);
    });

    it('HttpError sets the status; other errors are a 500 without details, reported on the error event', async () => {
      const teapot = await call(base, 'GET', '/teapot', undefined, {});
      expect(teapot.status).toBe(418);
      expect(teapot.json).toEqual({ error: { code: 'teapot', message: 'short and stout' } });
      const broken = await call(base, 'GET', '/broken', undefined, {});
      expect(broken.status).toBe(500);
      expect(broken.text).not.toContain('secret');
      expect(errors.some((e) => e instanceof Error && e.message === 'secret internals')).toBe(true);
    });

    it('undefined → 204; a handler may write the response itself', async () => {
      expect((await call(base, 'GET', '/nothing', undefined, {})).status).toBe(204);
      const custom = await call(base, 'GET', '/custom', undefined, {});
      expect(custom.text).toBe('custom body');
    });

    it('user routes under the API prefix need the key too', async () => {
      expect((await call(base, 'GET', '/api/mine', undefined, {})).status).toBe(401);
      expect((await call(base, 'GET', '/api/mine')).json).toEqual({ mine: true });
    });

    it('unknown paths fall through to the gateway (404, 426 on the WebSocket path)', async () => {
      expect((await call(base, 'GET', '/nope', undefined, {})).status).toBe(404);
      expect((await call(base, 'GET', '/ws', undefined, {})).status).toBe(426);
    });
  });
});

describe('gateway HTTP without an API key', () => {
  let gateway: Gateway;
  let base: string;

  beforeAll(async () => {
    gateway = await createGateway({ port: 0, host: '127.0.0.1', heartbeat: false, web: false });
    installHttp(gateway);
    base = `http://127.0.0.1:${gateway.port}`;
  });

  afterAll(async () => {
    await gateway.close({ timeout: 500 });
  });

  it('the API is off: every API path is a 404, with or without a header', async () => {
    for (const [method, path] of [
      ['POST', '/api/sendToAll'],
      ['POST', '/api/bind'],
      ['GET', '/api/uids'],
      ['GET', '/api/uids/x/online'],
    ] as const) {
      const res = await call(base, method, path, method === 'POST' ? { message: 'x' } : undefined, {
        authorization: 'Bearer anything',
      });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
  });

  it('status, metrics and the client are still served; the demo page is off by default', async () => {
    expect((await call(base, 'GET', '/status', undefined, {})).json).toMatchObject({ sockets: 0, uids: 0, groups: 0 });
    expect((await call(base, 'GET', '/metrics', undefined, {})).text).toMatch(/^wsgate_sockets\{node_id="[^"]+"\} 0$/m);
    expect((await call(base, 'GET', '/wsgate.js', undefined, {})).status).toBe(200);
    expect((await call(base, 'GET', '/', undefined, {})).status).toBe(404);
  });
});

describe('installHttp options', () => {
  it('apiKey, apiPrefix, maxBodySize and switching parts off', async () => {
    const gateway = await createGateway({ port: 0, host: '127.0.0.1', heartbeat: false, web: false });
    try {
      installHttp(gateway, {
        apiKey: 'own-key',
        apiPrefix: '/push',
        maxBodySize: 64,
        status: false,
        metrics: false,
        client: false,
      });
      const base = `http://127.0.0.1:${gateway.port}`;
      const auth = { authorization: 'Bearer own-key' };
      expect((await call(base, 'POST', '/push/sendToAll', { message: 'x' }, auth)).json).toEqual({
        ok: true,
        delivered: 0,
      });
      expect((await call(base, 'POST', '/push/sendToAll', { message: 'x' }, {})).status).toBe(401);
      expect((await call(base, 'POST', '/push/sendToAll', { message: 'x'.repeat(100) }, auth)).status).toBe(413);
      expect((await call(base, 'POST', '/api/sendToAll', { message: 'x' }, auth)).status).toBe(404);
      for (const path of ['/status', '/metrics', '/wsgate.js'])
        expect((await call(base, 'GET', path, undefined, {})).status).toBe(404);
    } finally {
      await gateway.close({ timeout: 500 });
    }
  });

  it('can be passed as the gateway http option', async () => {
    const { GatewayHttp } = await import('../../../src/gateway/http/index.js');
    const http = new GatewayHttp().get('/ping', () => ({ pong: true }));
    const gateway = await createGateway({ port: 0, host: '127.0.0.1', heartbeat: false, http: http.hook, web: false });
    try {
      const base = `http://127.0.0.1:${gateway.port}`;
      expect((await call(base, 'GET', '/ping', undefined, {})).json).toEqual({ pong: true });
      expect((await call(base, 'GET', '/status', undefined, {})).status).toBe(200);
    } finally {
      await gateway.close({ timeout: 500 });
    }
  });

  it('rejects a bad apiPrefix or maxBodySize', async () => {
    const { GatewayHttp } = await import('../../../src/gateway/http/index.js');
    expect(() => new GatewayHttp({ apiPrefix: 'api' })).toThrow(TypeError);
    expect(() => new GatewayHttp({ apiPrefix: '/api/' })).toThrow(TypeError);
    expect(() => new GatewayHttp({ maxBodySize: 0 })).toThrow(TypeError);
  });
});
