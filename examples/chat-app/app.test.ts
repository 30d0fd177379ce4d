// The example app module, served by the real CLI as a user would run it: one process, `--workers 2` and two
// `--redis` nodes. Each run checks the welcome (connect handler), a JSON route's reply, the app's push API (behind
// the key) and a public HTTP route; the single process also its timer.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanup, TestClient, type Received } from '../../test/gateway/helpers.js';
import { CliProcess } from '../../test/helpers/cli-process.js';
import { RedisServer } from '../../test/helpers/redis-server.js';

const APP = new URL('./app.mjs', import.meta.url).pathname;
const processes: CliProcess[] = [];
let redis: RedisServer | null = null;

afterEach(async () => {
  await cleanup();
  await Promise.all(processes.splice(0).map((p) => p.stop()));
});
afterAll(async () => {
  await redis?.destroy();
});

async function serve(...args: string[]): Promise<{ cli: CliProcess; port: number }> {
  const cli = CliProcess.start(['serve', APP, '--port', '0', '--host', '127.0.0.1', ...args], {
    env: { WSGATE_API_KEY: 'example-key' },
  });
  processes.push(cli);
  return { cli, port: await cli.listening() };
}

function notice(port: number, room: string, text: string, key = 'example-key'): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/api/rooms/${room}/notice`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
}

const isType =
  (type: string) =>
  (m: Received): boolean =>
    typeof m === 'object' && !Buffer.isBuffer(m) && m.type === type;

const nodes = new Set<string>();

/** A client that got the app's welcome; the node of its socket id goes into `nodes`. */
async function welcomed(port: number): Promise<TestClient> {
  const client = await TestClient.open(`ws://127.0.0.1:${port}/ws`);
  const welcome = (await client.until(isType('welcome'), 10_000)) as { data: { id: string } };
  expect(welcome.data.id).toMatch(/^[\w-]+\.[0-9a-z]+$/);
  nodes.add(welcome.data.id.split('.')[0]!);
  return client;
}

describe('examples/chat-app', () => {
  it('one process: welcome, join/say routes, the push API behind the key, /health and the clock timer', async () => {
    const { cli, port } = await serve();
    await expect.poll(() => cli.output).toContain(`app         ${APP}`);
    const a = await welcomed(port);
    const b = await welcomed(port);
    expect(await a.request('join', { room: 'lobby' }, 10_000)).toMatchObject({ data: { room: 'lobby', members: 1 } });
    expect(await b.request('join', { room: 'lobby' }, 10_000)).toMatchObject({ data: { members: 2 } });
    expect(await a.until(isType('joined'), 10_000)).toMatchObject({ data: { room: 'lobby' } });
    expect(await a.request('say', { room: 'lobby', text: 'hi' }, 10_000)).toMatchObject({ data: { delivered: 2 } });
    expect(await b.until(isType('said'), 10_000)).toMatchObject({ data: { text: 'hi' } });
    // A GatewayError thrown by a route is the error reply the example promises.
    expect(await a.request('say', { room: 'elsewhere', text: 'x' }, 10_000)).toMatchObject({
      error: { code: 'not_in_room' },
    });
    expect(await a.request('join', { room: 'NO SPACES' }, 10_000)).toMatchObject({ error: { code: 'bad_room' } });

    const sent = await notice(port, 'lobby', 'maintenance at 5');
    expect(sent.status).toBe(200);
    expect(await sent.json()).toEqual({ delivered: 2 });
    expect(await b.until(isType('notice'), 10_000)).toMatchObject({ data: { text: 'maintenance at 5' } });
    expect((await notice(port, 'lobby', 'x', 'wrong-key')).status).toBe(401);
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({ ok: true });

    await a.request('join', { room: 'clock' }, 10_000);
    const tick = (await a.until(isType('clock'), 10_000)) as { data: number };
    expect(Math.abs(tick.data - Date.now())).toBeLessThan(10_000);
  }, 60_000);

  it('--workers 2: sockets on both workers reach each other through routes and the push API', async () => {
    const { cli, port } = await serve('--workers', '2');
    await expect.poll(() => cli.output).toMatch(/\(2 worker processes\)/);
    nodes.clear();
    const clients: TestClient[] = [];
    for (let i = 0; i < 4; i++) clients.push(await welcomed(port));
    // Round-robin puts the sockets on both workers: their ids name two nodes.
    expect(nodes.size).toBe(2);
    for (const c of clients) expect(await c.request('join', { room: 'lobby' }, 10_000)).toMatchObject({ data: {} });
    expect(await clients[0]!.request('say', { room: 'lobby', text: 'all' }, 10_000)).toMatchObject({
      data: { delivered: 4 },
    });
    for (const c of clients) expect(await c.until(isType('said'), 10_000)).toMatchObject({ data: { text: 'all' } });
    // Whichever worker takes the HTTP request, the app's push API reaches all four.
    for (let i = 0; i < 3; i++) expect(await (await notice(port, 'lobby', `n${i}`)).json()).toEqual({ delivered: 4 });
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({ ok: true });
  }, 60_000);

  it('two --redis nodes: a route on one node and the push API on the other reach both', async () => {
    redis = await RedisServer.start();
    const one = await serve('--redis', redis.url);
    const two = await serve('--redis', redis.url);
    nodes.clear();
    const a = await welcomed(one.port);
    const b = await welcomed(two.port);
    expect(nodes.size).toBe(2);
    await a.request('join', { room: 'lobby' }, 10_000);
    expect(await b.request('join', { room: 'lobby' }, 10_000)).toMatchObject({ data: { members: 2 } });
    expect(await a.request('say', { room: 'lobby', text: 'across' }, 10_000)).toMatchObject({
      data: { delivered: 2 },
    });
    expect(await b.until(isType('said'), 10_000)).toMatchObject({ data: { text: 'across' } });
    expect(await (await notice(two.port, 'lobby', 'from two')).json()).toEqual({ delivered: 2 });
    expect(await a.until(isType('notice'), 10_000)).toMatchObject({ data: { text: 'from two' } });
  }, 60_000);
});
