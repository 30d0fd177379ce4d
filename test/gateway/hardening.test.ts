// Attacks on the gateway from issue 9 (items 5, 7, 8 and the gateway parts of 9), each over real sockets and HTTP:
// prototype pollution through sessions, cross-site WebSocket hijacking, unbounded groups per socket, lone-surrogate
// names, slowloris on the gateway's own port, deeply nested JSON in the push API, process details in /status and
// /metrics, and `wsgate serve` without a rate limit. Cluster and Redis mode: test/cluster-adapter.test.ts and
// test/redis-adapter.test.ts.
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe, type Running } from '../../src/cli.js';
import {
  DEFAULT_GATEWAY_OPTIONS,
  ErrorCode,
  GatewayError,
  isSameOrigin,
  type Gateway,
  type GatewayOptions,
} from '../../src/gateway/index.js';
import {
  cleanup,
  closedAt,
  httpCall,
  httpUrl,
  idOf,
  open,
  startGateway,
  TestClient,
  withIdRoute,
  wsUrl,
  type HttpReply,
} from './helpers.js';

const KEY = 'hardening-key-0123456789';
const AUTH = { authorization: `Bearer ${KEY}` };

const running: Running[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(running.splice(0).map((r) => r.close()));
  await cleanup();
});

interface Reply extends HttpReply {
  body: Record<string, unknown>;
}

async function call(
  gateway: Gateway,
  method: string,
  path: string,
  body?: string | object,
  headers: Record<string, string> = AUTH,
): Promise<Reply> {
  const reply = await httpCall(httpUrl(gateway, path), method, body, headers);
  return { ...reply, body: (reply.json ?? {}) as Record<string, unknown> };
}

function errorCode(reply: Reply): unknown {
  return (reply.body.error as { code?: unknown } | undefined)?.code;
}

/** What a gateway method rejected with: its GatewayError code (fails if it resolved). */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error.code;
    throw error;
  }
  throw new Error('expected a rejection, the call resolved');
}

/** A gateway whose `patch` route merges the request's data into the caller's session, as an application would. */
async function sessionGateway(): Promise<Gateway> {
  const gateway = withIdRoute(await startGateway({ apiKey: KEY, heartbeat: false }));
  gateway.route('patch', async ({ gateway: gw, socket, data }) =>
    gw.updateSession(socket.id, data as Record<string, unknown>),
  );
  gateway.route('replace', async ({ gateway: gw, socket, data }) =>
    gw.setSession(socket.id, data as Record<string, unknown>),
  );
  return gateway;
}

describe('sessions: prototype pollution (item 5)', () => {
  it('a "__proto__" key from a route leaves the session a plain null-prototype object, as getSession shows it', async () => {
    const gateway = await sessionGateway();
    const client = await open(gateway);
    const id = await idOf(client);
    // Sent as text: JSON.parse on the gateway makes "__proto__" an own key of `data`, as any client can.
    client.ws.send(
      '{"type":"patch","id":1,"data":{"name":"eve","__proto__":{"role":"admin"},"constructor":{"x":1},"prototype":{"y":2}}}',
    );
    expect(await client.json()).toMatchObject({ type: 'patch', id: 1, data: true });
    const socket = gateway.localSocket(id)!;
    const session = socket.session as Record<string, unknown>;
    expect(session.role).toBeUndefined();
    expect(Object.getPrototypeOf(session)).toBeNull();
    expect(Object.keys(session)).toEqual(['name']);
    expect({ ...(await gateway.getSession(id)) }).toEqual({ name: 'eve' });
    expect({ ...session }).toEqual({ ...(await gateway.getSession(id)) });

    client.ws.send('{"type":"replace","id":2,"data":{"__proto__":{"role":"admin"},"n":1}}');
    expect(await client.json()).toMatchObject({ id: 2, data: true });
    const replaced = gateway.localSocket(id)!.session as Record<string, unknown>;
    expect(replaced.role).toBeUndefined();
    expect(Object.getPrototypeOf(replaced)).toBeNull();
    expect({ ...replaced }).toEqual({ n: 1 });
    // Nothing leaked into Object.prototype either.
    expect(({} as Record<string, unknown>).role).toBeUndefined();
  });

  it('POST /api/updateSession and /api/setSession with "__proto__" in the JSON body', async () => {
    const gateway = await sessionGateway();
    const client = await open(gateway);
    const id = await idOf(client);
    const patch = await call(
      gateway,
      'POST',
      '/api/updateSession',
      `{"socketId":"${id}","session":{"name":"eve","__proto__":{"role":"admin"}}}`,
    );
    expect(patch.status).toBe(200);
    const session = gateway.localSocket(id)!.session as Record<string, unknown>;
    expect(session.role).toBeUndefined();
    expect(Object.getPrototypeOf(session)).toBeNull();
    const view = await call(gateway, 'GET', `/api/sockets/${id}`);
    expect(view.body.session).toEqual({ name: 'eve' });
    const set = await call(
      gateway,
      'POST',
      '/api/setSession',
      `{"socketId":"${id}","session":{"__proto__":{"role":"admin"},"k":"v"}}`,
    );
    expect(set.status).toBe(200);
    expect((gateway.localSocket(id)!.session as Record<string, unknown>).role).toBeUndefined();
    expect({ ...gateway.localSocket(id)!.session }).toEqual({ k: 'v' });
  });

  it('a session nested more than 64 levels is refused with invalid_argument (it would overflow JSON.stringify later)', async () => {
    const gateway = await sessionGateway();
    const client = await open(gateway);
    const nest = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    // `data` itself is level 1.
    expect(await client.request('replace', JSON.parse(nest(64)))).toMatchObject({ data: true });
    expect(await client.request('patch', JSON.parse(nest(65)))).toMatchObject({
      type: 'error',
      error: { code: 'invalid_argument' },
    });
    client.ws.send(`{"type":"replace","id":"deep","data":${nest(100_000)}}`);
    expect(await client.json()).toMatchObject({ id: 'deep', type: 'error', error: { code: 'invalid_argument' } });
  });

  it('the initial session from authenticate is cleaned the same way', async () => {
    const gateway = withIdRoute(
      await startGateway({
        heartbeat: false,
        authenticate: () => ({
          session: JSON.parse('{"__proto__":{"role":"admin"},"a":1}') as Record<string, unknown>,
        }),
      }),
    );
    const client = await open(gateway);
    const session = gateway.localSocket(await idOf(client))!.session as Record<string, unknown>;
    expect(session.role).toBeUndefined();
    expect(Object.getPrototypeOf(session)).toBeNull();
    expect({ ...session }).toEqual({ a: 1 });
  });
});

describe('same origin by default (item 7)', () => {
  /** A gateway whose `authenticate` trusts a session cookie, as a web app's would. */
  async function cookieGateway(
    origins?: GatewayOptions['origins'],
  ): Promise<{ gateway: Gateway; authenticated: string[] }> {
    const authenticated: string[] = [];
    const gateway = withIdRoute(
      await startGateway({
        heartbeat: false,
        ...(origins === undefined ? {} : { origins }),
        authenticate: (req) => {
          const cookie = /(?:^|; )sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
          if (cookie === undefined) return false;
          authenticated.push(cookie);
          return { uid: `user-of-${cookie}` };
        },
      }),
    );
    return { gateway, authenticated };
  }

  async function status(gateway: Gateway, headers: Record<string, string>): Promise<number> {
    try {
      await TestClient.open(wsUrl(gateway), { headers });
      return 101;
    } catch (error) {
      const m = /HTTP (\d+)/.exec(String(error));
      if (m === null) throw error;
      return Number(m[1]);
    }
  }

  it('a foreign page with the victim cookie gets 403, authenticate never runs, nothing is bound', async () => {
    const { gateway, authenticated } = await cookieGateway();
    const host = `127.0.0.1:${gateway.port}`;
    expect(await status(gateway, { origin: 'https://evil.example', cookie: 'sid=victim' })).toBe(403);
    expect(await status(gateway, { origin: 'null', cookie: 'sid=victim' })).toBe(403);
    expect(await status(gateway, { origin: `http://127.0.0.1:${gateway.port + 1}`, cookie: 'sid=victim' })).toBe(403);
    expect(await status(gateway, { origin: 'http://127.0.0.1', cookie: 'sid=victim' })).toBe(403);
    expect(authenticated).toEqual([]);
    expect(gateway.stats().connections).toBe(0);
    expect(await gateway.isUidOnline('user-of-victim')).toBe(false);

    // The gateway's own pages (any case), and non-browser clients (no Origin), are accepted.
    expect(await status(gateway, { origin: `http://${host}`, cookie: 'sid=a' })).toBe(101);
    expect(await status(gateway, { origin: `HTTP://${host.toUpperCase()}`, cookie: 'sid=b' })).toBe(101);
    expect(await status(gateway, { origin: `https://${host}`, cookie: 'sid=c' })).toBe(101); // TLS ended at a proxy
    expect(await status(gateway, { cookie: 'sid=d' })).toBe(101);
    expect(authenticated).toEqual(['a', 'b', 'c', 'd']);
  });

  it('origins: a list adds origins, "*" accepts any, a predicate decides alone', async () => {
    const listed = (await cookieGateway(['https://app.example'])).gateway;
    expect(await status(listed, { origin: 'https://app.example', cookie: 'sid=x' })).toBe(101);
    expect(await status(listed, { origin: `http://127.0.0.1:${listed.port}`, cookie: 'sid=x' })).toBe(101);
    expect(await status(listed, { origin: 'https://evil.example', cookie: 'sid=x' })).toBe(403);
    const any = (await cookieGateway('*')).gateway;
    expect(await status(any, { origin: 'https://evil.example', cookie: 'sid=x' })).toBe(101);
    const predicate = (await cookieGateway((origin) => origin === 'https://only.example')).gateway;
    expect(await status(predicate, { origin: 'https://only.example', cookie: 'sid=x' })).toBe(101);
    expect(await status(predicate, { origin: `http://127.0.0.1:${predicate.port}`, cookie: 'sid=x' })).toBe(403);
  });

  it('an origins predicate that throws: HTTP 500, the error on the gateway error event, the gateway serves on', async () => {
    const { gateway } = await cookieGateway((origin) => {
      if (origin === 'https://boom.example') throw new Error('predicate bug');
      return true;
    });
    const errors: unknown[] = [];
    gateway.on('error', (error) => errors.push(error));
    expect(await status(gateway, { origin: 'https://boom.example', cookie: 'sid=x' })).toBe(500);
    expect(errors.map((e) => (e as Error).message)).toEqual(['predicate bug']);
    expect(await status(gateway, { origin: 'https://fine.example', cookie: 'sid=y' })).toBe(101);
  });

  it('wsgate serve refuses foreign pages too, and --origin lets one in', async () => {
    const serve = await startServe({ port: 0, host: '127.0.0.1', path: '/ws', apiKey: undefined });
    running.push(serve);
    const url = `ws://127.0.0.1:${serve.port}/ws`;
    await expect(TestClient.open(url, { headers: { origin: 'https://evil.example' } })).rejects.toThrow('HTTP 403');
    await TestClient.open(url, {
      headers: { origin: `http://localhost:${serve.port}`, host: `localhost:${serve.port}` },
    });
    const open2 = await startServe({
      port: 0,
      host: '127.0.0.1',
      path: '/ws',
      apiKey: undefined,
      origins: ['https://evil.example'],
    });
    running.push(open2);
    await TestClient.open(`ws://127.0.0.1:${open2.port}/ws`, { headers: { origin: 'https://evil.example' } });
  });

  it('isSameOrigin: host:port against Host, case-insensitive, default ports omitted as browsers do', () => {
    expect(isSameOrigin('https://a.example', 'a.example')).toBe(true);
    expect(isSameOrigin('https://a.example', 'a.example:443')).toBe(true);
    expect(isSameOrigin('http://a.example', 'A.Example:80')).toBe(true);
    expect(isSameOrigin('http://a.example:8080', 'a.example:8080')).toBe(true);
    expect(isSameOrigin('http://[::1]:8080', '[::1]:8080')).toBe(true);
    expect(isSameOrigin('http://a.example:8080', 'a.example')).toBe(false);
    expect(isSameOrigin('https://a.example', 'a.example:80')).toBe(false);
    expect(isSameOrigin('https://a.example.evil', 'a.example')).toBe(false);
    expect(isSameOrigin('null', 'a.example')).toBe(false);
    expect(isSameOrigin('file://', 'a.example')).toBe(false);
    expect(isSameOrigin('https://a.example', undefined)).toBe(false);
    expect(isSameOrigin('https://a.example', 'x@a.example')).toBe(false);
    expect(isSameOrigin('https://a.example', 'a.example/path')).toBe(false);
  });
});

describe('groups per socket (item 8)', () => {
  it(`default ${DEFAULT_GATEWAY_OPTIONS.maxGroupsPerSocket}: the next join is refused with too_many_groups, alike from routes and the push API`, async () => {
    const gateway = withIdRoute(await startGateway({ apiKey: KEY, heartbeat: false }));
    gateway.route('join', async ({ gateway: gw, socket, data }) => gw.joinGroup(socket.id, data as string));
    gateway.route('groups', ({ socket }) => [...socket.groups]);
    const client = await open(gateway);
    const id = await idOf(client);
    const max = DEFAULT_GATEWAY_OPTIONS.maxGroupsPerSocket;
    expect(max).toBe(128);
    for (let i = 0; i < max; i++) expect(await gateway.joinGroup(id, `g${i}`)).toBe(true);
    expect(await rejection(gateway.joinGroup(id, 'one-more'))).toBe(ErrorCode.TooManyGroups);
    // Joining a group it is already in is not growth.
    expect(await gateway.joinGroup(id, 'g0')).toBe(true);
    const reply = await client.request('join', 'from-route');
    expect(reply).toMatchObject({ type: 'error', error: { code: 'too_many_groups' } });
    const api = await call(gateway, 'POST', '/api/join', { socketId: id, group: 'from-api' });
    expect(api.status).toBe(409);
    expect(errorCode(api)).toBe('too_many_groups');
    expect((await client.request('groups')).data).toHaveLength(max);
    expect(gateway.stats().groups).toBe(max);
    // Leaving one makes room.
    expect(await gateway.leaveGroup(id, 'g0')).toBe(true);
    expect(await gateway.joinGroup(id, 'from-route')).toBe(true);
  });

  it('maxGroupsPerSocket is an option, checked at creation', async () => {
    const gateway = withIdRoute(await startGateway({ heartbeat: false, maxGroupsPerSocket: 2 }));
    const id = await idOf(await open(gateway));
    expect(await gateway.joinGroup(id, 'a')).toBe(true);
    expect(await gateway.joinGroup(id, 'b')).toBe(true);
    expect(await rejection(gateway.joinGroup(id, 'c'))).toBe('too_many_groups');
    expect(await gateway.groupsOfSocket(id)).toEqual(['a', 'b']);
    await expect(startGateway({ maxGroupsPerSocket: 0 })).rejects.toThrow(TypeError);
    await expect(startGateway({ maxGroupsPerSocket: 1.5 })).rejects.toThrow(TypeError);
  });
});

describe('names must be well-formed UTF-16', () => {
  it('lone surrogates in groups and uids are refused with invalid_argument; U+FFFD is a name like any other', async () => {
    const gateway = withIdRoute(await startGateway({ apiKey: KEY, heartbeat: false }));
    const a = await open(gateway);
    const b = await open(gateway);
    const ida = await idOf(a);
    const idb = await idOf(b);
    for (const bad of ['\ud800room', 'room\udfff', '\udc00\ud800']) {
      expect(await rejection(gateway.joinGroup(ida, bad))).toBe('invalid_argument');
      expect(await rejection(gateway.bindUid(ida, bad))).toBe('invalid_argument');
      expect(await rejection(gateway.sendToGroup(bad, 'x'))).toBe('invalid_argument');
      expect(await rejection(gateway.sendToUid(['ok', bad], 'x'))).toBe('invalid_argument');
      expect(await rejection(gateway.socketCount(bad))).toBe('invalid_argument');
    }
    expect(await gateway.joinGroup(idb, '\ufffdroom')).toBe(true);
    expect(await gateway.joinGroup(idb, '😀room')).toBe(true); // a surrogate pair is fine
    // The push API: JSON escapes carry lone surrogates straight into strings.
    const api = await call(gateway, 'POST', '/api/join', `{"socketId":"${ida}","group":"\\ud800room"}`);
    expect(api.status).toBe(400);
    expect(errorCode(api)).toBe('invalid_argument');
    expect(await gateway.groupsOfSocket(ida)).toEqual([]);
    expect(await gateway.sendToGroup('\ufffdroom', 'only b')).toBe(1);
    expect(await b.next()).toBe('only b');
    expect(await a.silentFor(100)).toBe(true);
  });
});

describe("the standalone gateway's HTTP server keeps the server layer's anti-slowloris deadlines (item 9)", () => {
  const HANDSHAKE_TIMEOUT = 500;

  async function tcp(gateway: Gateway): Promise<Socket> {
    const socket = netConnect(gateway.port, '127.0.0.1');
    sockets.push(socket);
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return socket;
  }

  /** Writes `chunk()` every 100 ms until the server closes the connection. */
  function trickle(socket: Socket, chunk: () => string): void {
    const timer = setInterval(() => {
      if (socket.destroyed || !socket.writable) return clearInterval(timer);
      socket.write(chunk());
    }, 100);
    socket.once('close', () => clearInterval(timer));
  }

  it('a request head trickled one header a tick is closed within about handshakeTimeout', async () => {
    const gateway = await startGateway({ handshakeTimeout: HANDSHAKE_TIMEOUT, heartbeat: false });
    const socket = await tcp(gateway);
    const start = Date.now();
    socket.write(`GET /status HTTP/1.1\r\nHost: 127.0.0.1:${gateway.port}\r\n`);
    let n = 0;
    trickle(socket, () => `X-Slow-${n++}: 1\r\n`);
    const elapsed = await Promise.race([
      closedAt(socket, start),
      new Promise<number>((r) => setTimeout(() => r(Infinity), 4_000)),
    ]);
    expect(elapsed).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT - 50);
    expect(elapsed).toBeLessThan(HANDSHAKE_TIMEOUT * 2 + 500);
  });

  it('a push-API body trickled one byte a tick is closed within about handshakeTimeout (at least 1 s)', async () => {
    const gateway = await startGateway({ handshakeTimeout: HANDSHAKE_TIMEOUT, apiKey: KEY, heartbeat: false });
    const socket = await tcp(gateway);
    const start = Date.now();
    socket.write(
      `POST /api/sendToAll HTTP/1.1\r\nHost: 127.0.0.1:${gateway.port}\r\nAuthorization: Bearer ${KEY}\r\n` +
        `Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"message":"`,
    );
    trickle(socket, () => 'a');
    const elapsed = await Promise.race([
      closedAt(socket, start),
      new Promise<number>((r) => setTimeout(() => r(Infinity), 5_000)),
    ]);
    // The server layer's requestTimeout: max(handshakeTimeout, 1 s), swept every handshakeTimeout / 4.
    expect(elapsed).toBeLessThan(1_000 * 2 + 500);
  });
});

describe('push API: deeply nested JSON (item 9)', () => {
  it('a 200,000-deep message answers 400 json_too_deep (not a 500 from a stack overflow); 64 levels are fine', async () => {
    const gateway = await startGateway({ apiKey: KEY, heartbeat: false });
    const errors: unknown[] = [];
    gateway.on('error', (error) => void errors.push(error));
    const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    const huge = await call(gateway, 'POST', '/api/sendToAll', `{"message":${deep(200_000)}}`);
    expect(huge.status).toBe(400);
    expect(errorCode(huge)).toBe('json_too_deep');
    // The body object is level 1: a message nested 63 deep makes 64.
    const ok = await call(gateway, 'POST', '/api/sendToAll', `{"message":${deep(63)}}`);
    expect(ok.status).toBe(200);
    const over = await call(gateway, 'POST', '/api/sendToAll', `{"message":${deep(64)}}`);
    expect(over.status).toBe(400);
    expect(errorCode(over)).toBe('json_too_deep');
    // Brackets inside strings are text, not nesting.
    const text = await call(gateway, 'POST', '/api/sendToAll', { message: `"\\${'['.repeat(10_000)}` });
    expect(text.status).toBe(200);
    expect(errors).toEqual([]);
  });
});

describe('/status and /metrics without an API key (item 9)', () => {
  it('counts only: no pid, Node version, memory or CPU for anyone', async () => {
    const gateway = await startGateway({ heartbeat: false });
    const status = await call(gateway, 'GET', '/status', undefined, {});
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ sockets: 0, nodeId: gateway.nodeId });
    for (const key of ['pid', 'node', 'memory']) expect(status.body[key]).toBeUndefined();
    // Nor in the per-node breakdown of the cluster view.
    for (const node of status.body.nodes as Record<string, unknown>[])
      for (const key of ['pid', 'node', 'memory', 'cpuSeconds']) expect(node[key]).toBeUndefined();
    expect(status.text).not.toContain(process.version);
    const metrics = await call(gateway, 'GET', '/metrics', undefined, { authorization: 'Bearer anything' });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain(`wsgate_sockets{node_id="${gateway.nodeId}"} 0`);
    expect(metrics.text).not.toMatch(/^(process|nodejs)_/m);
  });
});

describe('wsgate serve has a default rate limit (item 8)', () => {
  it('a socket flooding sendToAll gets rate_limited and its extra messages are not fanned out', async () => {
    const serve = await startServe({ port: 0, host: '127.0.0.1', path: '/ws', apiKey: undefined });
    running.push(serve);
    const url = `ws://127.0.0.1:${serve.port}/ws`;
    const flooder = await TestClient.open(url);
    const listener = await TestClient.open(url);
    for (let i = 0; i < 100; i++) flooder.send({ type: 'sendToAll', data: { text: `spam ${i}` } });
    const limited = await flooder.until(
      (m) => typeof m === 'object' && !Buffer.isBuffer(m) && m.type === 'error',
      3_000,
    );
    expect(limited).toMatchObject({ error: { code: 'rate_limited' } });
    // The listener gets at most one window's worth (20), not 100.
    let chats = 0;
    while (!(await listener.silentFor(300))) chats++;
    expect(chats).toBeGreaterThan(0);
    expect(chats).toBeLessThanOrEqual(2 * 20);
  });
});
