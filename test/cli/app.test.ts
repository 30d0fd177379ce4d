// App modules under `wsgate serve`, in this process: every part of defineApp served (connect, route reply, message,
// close, HTTP and API routes, timers, setup), the app's config under the command line, errors from each kind of
// handler contained (reported, socket and process alive), modules that fail to load or have the wrong shape.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main, parseCommand, resolveServeSettings, startServe, type RunningGateway } from '../../src/cli.js';
import { cleanup, TestClient, type Received } from '../gateway/helpers.js';
import { CliProcess } from '../helpers/cli-process.js';
import { checkApp, installApp } from '../../src/gateway/app-module/install-app.js';
import type { GatewayApi } from '../../src/gateway/core/gateway-api.js';

const dirs: string[] = [];
const running: RunningGateway[] = [];
afterEach(async () => {
  await cleanup();
  await Promise.all(running.splice(0).map((r) => r.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A directory with `app.mjs` holding `source`. Fixture apps export plain objects: no import of wsgate needed. */
function appDir(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsgate-app-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'app.mjs'), source);
  return dir;
}

async function serveApp(source: string, argv: string[] = [], errors: unknown[] = []): Promise<RunningGateway> {
  const cwd = appDir(source);
  const command = parseCommand(['serve', 'app.mjs', '--port', '0', '--host', '127.0.0.1', ...argv]);
  if (command.command !== 'serve') throw new Error('not serve');
  const settings = await resolveServeSettings(command.flags, { WSGATE_API_KEY: 'app-key' }, cwd);
  const r = await startServe(settings, { cwd, onError: (error) => errors.push(error) });
  running.push(r);
  return r;
}

const isType =
  (type: string) =>
  (m: Received): boolean =>
    typeof m === 'object' && !Buffer.isBuffer(m) && m.type === type;

const APP = `
const seen = [];
export default {
  config: { heartbeat: { interval: 60000, maxMissed: 2 }, maxMessageSize: 2048 },
  events: {
    connect(socket, req, gateway) { socket.send({ type: 'hello', data: { id: socket.id, node: gateway.nodeId, ua: req.headers['user-agent'] ?? null } }); },
    message(socket, message) { seen.push(message.type); },
    close(socket, code) { seen.push('closed ' + code); },
  },
  routes: {
    echo: ({ data }) => ({ echoed: data }),
    seen: () => seen.slice(),
  },
  http: { 'GET /hello/:name': ({ params }) => ({ hello: params.name }) },
  api: { 'POST /shout': async ({ json, gateway }) => ({ delivered: await gateway.sendToAll({ type: 'shout', data: await json() }) }) },
  timers: { tick: { every: 50, run: (gateway) => gateway.sendToGroup('ticks', { type: 'tick' }) } },
  async setup(gateway) { gateway.route('late', () => 'from setup'); },
};`;

describe('an app module served', () => {
  it('connect, routes, message/close events, HTTP and API routes, timers and setup', async () => {
    const r = await serveApp(APP);
    expect(r.summary.join('\n')).toContain('app         app.mjs');
    const base = `http://127.0.0.1:${r.port}`;
    const client = await TestClient.open(`ws://127.0.0.1:${r.port}/ws`, { headers: { 'user-agent': 'app-test' } });
    expect(await client.until(isType('hello'), 5_000)).toMatchObject({
      data: { node: r.gateway.nodeId, ua: 'app-test' },
    });
    expect(await client.request('echo', { x: [1, 2] }, 5_000)).toMatchObject({
      type: 'echo',
      data: { echoed: { x: [1, 2] } },
    });
    expect(await client.request('late', undefined, 5_000)).toMatchObject({ data: 'from setup' });
    expect(await client.request('seen', undefined, 5_000)).toMatchObject({ data: ['echo', 'late', 'seen'] });

    expect(await (await fetch(`${base}/hello/ada`)).json()).toEqual({ hello: 'ada' });
    const shout = (key: string): Promise<Response> =>
      fetch(`${base}/api/shout`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: '{"v":1}' });
    expect((await shout('wrong')).status).toBe(401);
    expect(await (await shout('app-key')).json()).toEqual({ delivered: 1 });
    expect(await client.until(isType('shout'), 5_000)).toMatchObject({ data: { v: 1 } });

    await r.gateway.joinGroup((await r.gateway.sockets())[0]!, 'ticks');
    await client.until(isType('tick'), 5_000);
    await client.until(isType('tick'), 5_000);

    // The app's config reached the gateway; the serve default (rate limit) too, as the app set none.
    expect(r.gateway.options).toMatchObject({
      heartbeat: { interval: 60_000, maxMissed: 2 },
      maxMessageSize: 2048,
      rateLimit: { messages: 20 },
    });
    // With an app, no demo page.
    expect((await fetch(`${base}/`)).status).toBe(404);
  });

  it('flags override the app config; --demo adds the demo page to the app', async () => {
    const r = await serveApp(APP, ['--heartbeat-interval', '0', '--max-message-size', '4kb', '--demo']);
    expect(r.gateway.options.heartbeat).toBeNull();
    expect(r.gateway.options.maxMessageSize).toBe(4096);
    expect((await fetch(`http://127.0.0.1:${r.port}/`)).status).toBe(200);
  });

  it('api routes are not served without an API key (and the log says so)', async () => {
    const cwd = appDir(APP);
    const r = await startServe({ app: 'app.mjs', port: 0, host: '127.0.0.1' }, { cwd });
    running.push(r);
    expect(r.summary.join('\n')).toMatch(/not served {2}api routes \(no API key/);
    expect((await fetch(`http://127.0.0.1:${r.port}/api/shout`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect(await (await fetch(`http://127.0.0.1:${r.port}/hello/x`)).json()).toEqual({ hello: 'x' });
  });
});

describe("the app's errors are contained", () => {
  const THROWING = `
const calls = { error: 0 };
export default {
  events: {
    connect(socket) { if (socket.session.n === undefined) throw new Error('connect threw'); },
    async message(socket, message) { if (message.type === 'reject-in-message') throw new Error('message rejected'); },
    close() { return Promise.reject(new Error('close rejected')); },
    error(error) { calls.error++; if (String(error).includes('connect')) throw new Error('error handler threw too'); },
  },
  routes: {
    sync: () => { throw new Error('route threw'); },
    async: async () => { throw new Error('route rejected'); },
    errors: () => calls.error,
  },
  http: { 'GET /boom': () => { throw new Error('http threw'); } },
  timers: { bad: { every: 30, run: () => { throw new Error('timer threw'); } } },
};`;

  it('sync and async throws from events, routes, HTTP routes and timers: reported, the socket and gateway go on', async () => {
    const errors: unknown[] = [];
    const r = await serveApp(THROWING, [], errors);
    const messages = (): string[] => errors.map((e) => (e instanceof Error ? e.message : String(e)));
    const client = await TestClient.open(`ws://127.0.0.1:${r.port}/ws`);
    expect(await client.request('sync', undefined, 5_000)).toMatchObject({ error: { code: 'handler_error' } });
    expect(await client.request('async', undefined, 5_000)).toMatchObject({ error: { code: 'handler_error' } });
    client.send({ type: 'reject-in-message' });
    expect((await fetch(`http://127.0.0.1:${r.port}/boom`)).status).toBe(500);
    await expect
      .poll(messages, { timeout: 5_000 })
      .toEqual(
        expect.arrayContaining([
          'connect threw',
          'error handler threw too',
          'route threw',
          'route rejected',
          'message rejected',
          'http threw',
          'timer threw',
        ]),
      );
    // The socket is still served, and the app's own error handler saw the errors.
    const count = (await client.request('errors', undefined, 5_000)) as { data: number };
    expect(count.data).toBeGreaterThanOrEqual(6);
    client.ws.close();
    await expect.poll(messages, { timeout: 5_000 }).toContain('close rejected');
    // And the gateway still accepts new sockets.
    const again = await TestClient.open(`ws://127.0.0.1:${r.port}/ws`);
    expect(await again.request('errors', undefined, 5_000)).toMatchObject({ type: 'errors' });
  });
});

describe('app modules that cannot be served: one line', () => {
  async function run(source: string): Promise<{ err: string; code: number | string | undefined }> {
    const cwd = appDir(source);
    const err: string[] = [];
    const stderr = process.stderr.write;
    const stdout = process.stdout.write;
    const before = process.exitCode;
    process.exitCode = undefined;
    process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await main(['serve', 'app.mjs', '--port', '0', '--host', '127.0.0.1'], {}, cwd);
      return { err: err.join(''), code: process.exitCode };
    } finally {
      process.stderr.write = stderr;
      process.stdout.write = stdout;
      process.exitCode = before;
    }
  }

  const cases: [string, string, RegExp, number][] = [
    [
      'syntax error',
      'export default {',
      /^wsgate: cannot load app module app\.mjs: (SyntaxError|Error): .*(syntax|Unexpected)/i,
      1,
    ],
    [
      'throw at load',
      'throw new Error("no config for you");',
      /^wsgate: cannot load app module app\.mjs: Error: no config for you$/,
      1,
    ],
    [
      'missing import',
      'import "no-such-package-xyz"; export default {};',
      /^wsgate: cannot load app module app\.mjs: Error: Cannot find package 'no-such-package-xyz'/,
      1,
    ],
    [
      'no default export',
      'export const app = {};',
      /^wsgate: app module app\.mjs: the module must default-export defineApp/,
      2,
    ],
    [
      'unknown key',
      'export default { route: {} };',
      /^wsgate: app module app\.mjs: unknown app key "route" \(app keys: config, events, routes, api, http, timers, setup\)$/,
      2,
    ],
    [
      'handler not a function',
      'export default { routes: { x: 1 } };',
      /^wsgate: app module app\.mjs: routes\["x"\] must be a function$/,
      2,
    ],
    [
      'bad HTTP route',
      'export default { api: { "SEND /x": () => 1 } };',
      /^wsgate: app module app\.mjs: api\["SEND \/x"\]: a route is "METHOD \/path"/,
      2,
    ],
    [
      'bad timer',
      'export default { timers: { t: { every: 0, run() {} } } };',
      /^wsgate: app module app\.mjs: timers\.t\.every must be a positive number of ms$/,
      2,
    ],
    [
      'bad timer scope',
      'export default { timers: { t: { every: 10, run() {}, scope: "everywhere" } } };',
      /^wsgate: app module app\.mjs: timers\.t\.scope must be "node" or "cluster"$/,
      2,
    ],
    [
      'bad gateway option',
      'export default { config: { heartbeat: { interval: -1 } } };',
      /^wsgate: invalid gateway option: heartbeat\.interval must be a positive number, got -1$/,
      2,
    ],
    [
      'setup throws',
      'export default { setup() { throw new Error("db down"); } };',
      /^wsgate: the app's setup failed: db down$/,
      1,
    ],
  ];
  for (const [name, source, line, exitCode] of cases) {
    it(name, async () => {
      const { err, code } = await run(source);
      expect(code).toBe(exitCode);
      expect(err.split('\n')[0]).toMatch(line);
      expect(err).not.toMatch(/\n\s+at /);
    });
  }
});

describe('timer scope', () => {
  it("passes scope 'cluster' (and a lease name) to gateway.every; 'node' and no scope run on every node", () => {
    const calls: { ms: number; options: unknown }[] = [];
    const gateway = {
      every: (ms: number, _fn: () => unknown, options?: unknown) => (calls.push({ ms, options }), { stop() {} }),
      on: () => undefined,
      route: () => undefined,
    } as unknown as GatewayApi;
    const app = checkApp({
      timers: {
        once: { every: 100, run() {}, scope: 'cluster' },
        each: { every: 200, run() {}, scope: 'node' },
        plain: { every: 300, run() {} },
      },
    });
    installApp(gateway, null, app, '/api', () => undefined);
    expect(calls).toEqual([
      { ms: 100, options: { scope: 'cluster', name: 'app:once' } },
      { ms: 200, options: undefined },
      { ms: 300, options: undefined },
    ]);
  });

  it('a cluster-scoped timer runs under wsgate serve (the memory adapter always holds the lease)', async () => {
    const r = await serveApp(`export default {
  timers: { tick: { every: 30, scope: 'cluster', run: (gateway) => gateway.sendToGroup('ticks', { type: 'tick' }) } },
};`);
    const client = await TestClient.open(`ws://127.0.0.1:${r.port}/ws`);
    await expect.poll(async () => (await r.gateway.sockets()).length, { timeout: 5_000 }).toBe(1);
    await r.gateway.joinGroup((await r.gateway.sockets())[0]!, 'ticks');
    await client.until(isType('tick'), 5_000);
    await client.until(isType('tick'), 5_000);
  });
});

describe('the real process', () => {
  const processes: CliProcess[] = [];
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.stop()));
  });

  it('a broken app module under --workers 2: one line per worker, then the primary gives up with exit code 1', async () => {
    const cwd = appDir('export default {');
    const cli = CliProcess.start(['serve', 'app.mjs', '--workers', '2', '--port', '0', '--host', '127.0.0.1'], { cwd });
    processes.push(cli);
    expect(await cli.exited).toBe(1);
    const lines = cli.output.trimEnd().split('\n');
    expect(lines.length, cli.output).toBeLessThanOrEqual(3);
    expect(lines[0]).toMatch(/^wsgate: cannot load app module app\.mjs: SyntaxError: Unexpected end of input$/);
    expect(lines.at(-1)).toMatch(/^wsgate: worker \d+ exited before listening \(exit code 1\); see its error above$/);
    expect(cli.output).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('an app whose handlers throw keeps serving in a real process (no crash, no unhandled rejection)', async () => {
    const cwd = appDir(`export default {
      events: { connect() { return Promise.reject(new Error('async connect failed')); } },
      routes: { ping: () => 'pong', boom: () => { throw new Error('route exploded'); } },
      timers: { t: { every: 20, run: () => Promise.reject(new Error('timer rejected')) } },
    };`);
    const cli = CliProcess.start(['serve', 'app.mjs', '--port', '0', '--host', '127.0.0.1'], { cwd });
    processes.push(cli);
    const port = await cli.listening();
    const client = await TestClient.open(`ws://127.0.0.1:${port}/ws`);
    expect(await client.request('boom', undefined, 10_000)).toMatchObject({ error: { code: 'handler_error' } });
    await expect.poll(() => cli.output, { timeout: 10_000 }).toContain('timer rejected');
    expect(await client.request('ping', undefined, 10_000)).toMatchObject({ data: 'pong' });
    await expect.poll(() => cli.output, { timeout: 10_000 }).toContain('async connect failed');
    await expect.poll(() => cli.output, { timeout: 10_000 }).toContain('route exploded');
    expect(cli.child.exitCode).toBeNull();
    expect(await cli.stop()).toBe(0);
  }, 60_000);
});
