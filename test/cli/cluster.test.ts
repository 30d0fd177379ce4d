// `wsgate serve --workers N` and `--redis URL`: flag parsing, loading whichever Redis client is installed (or saying
// how to install one), and real runs — N worker processes on one port answering for each other's sockets through
// the push API, then a graceful stop; two `serve --redis` nodes sharing a redis-server.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import {
  parseCommand,
  resolveServeSettings,
  startServe,
  UsageError,
  type Running,
  type ServeSettings,
} from '../../src/cli.js';
import { createRedisClientFromUrl, RedisClientMissingError } from '../../src/gateway/index.js';
import { redisClientKind } from '../../src/gateway/adapters/redis/client.js';
import { cleanup, TestClient } from '../gateway/helpers.js';
import { RedisServer } from '../helpers/redis-server.js';

const running: Running[] = [];
let redis: RedisServer | null = null;

afterEach(async () => {
  await cleanup();
  await Promise.all(running.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await redis?.destroy();
});

describe('serve --workers / --redis flags', () => {
  it('parses them', async () => {
    const settings = (argv: string[]): Promise<ServeSettings> => {
      const command = parseCommand(['serve', ...argv]);
      if (command.command !== 'serve') throw new Error('not serve');
      return resolveServeSettings(command.flags, {}, tmpdir());
    };
    expect(await settings([])).toMatchObject({ workers: undefined, redis: undefined });
    expect(await settings(['--workers', '4', '--redis', 'redis://10.0.0.5:6379'])).toMatchObject({
      workers: 4,
      redis: { url: 'redis://10.0.0.5:6379' },
    });
    expect(await settings(['--redis=rediss://user:pw@host:6380/0', '--presence-ttl', '5s'])).toMatchObject({
      redis: { url: 'rediss://user:pw@host:6380/0', presenceTtl: 5_000 },
    });
    await expect(settings(['--presence-ttl', '5s'])).rejects.toThrow(/redis.presenceTtl set without a Redis URL/);
    const cases: [string[], RegExp][] = [
      [['serve', '--workers', '0'], /--workers must be a whole number 1-1024, got "0"/],
      [['serve', '--workers', 'two'], /--workers must be a whole number 1-1024/],
      [['serve', '--workers'], /--workers needs a value/],
      [['serve', '--redis', 'localhost:6379'], /--redis must be a redis:\/\/ or rediss:\/\/ URL, got "localhost:6379"/],
    ];
    for (const [argv] of cases) expect(() => parseCommand(argv), argv.join(' ')).toThrow(UsageError);
    for (const [argv, message] of cases) expect(() => parseCommand(argv), argv.join(' ')).toThrow(message);
  });

  it('loads "redis", else "ioredis", else says how to install one', async () => {
    const url = 'redis://127.0.0.1:1';
    expect(redisClientKind(await createRedisClientFromUrl(url))).toBe('node-redis');
    const onlyIoredis = (name: string): Promise<unknown> =>
      name === 'ioredis' ? import('ioredis') : Promise.reject(new Error('absent'));
    expect(redisClientKind(await createRedisClientFromUrl(url, onlyIoredis))).toBe('ioredis');
    const none = (): Promise<unknown> => Promise.reject(new Error('absent'));
    await expect(createRedisClientFromUrl(url, none)).rejects.toThrow(RedisClientMissingError);
    await expect(createRedisClientFromUrl(url, none)).rejects.toThrow(
      /npm install redis {3}\(or: npm install ioredis\)/,
    );
    await expect(createRedisClientFromUrl('http://x')).rejects.toThrow(/not a Redis URL/);
  });
});

describe('wsgate serve --workers', () => {
  it('runs N workers on one port that answer for each other, and stops them gracefully', async () => {
    const cli = fileURLToPath(new URL('../helpers/cli-main.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cli, 'serve', '--workers', '2', '--port', '0', '--host', '127.0.0.1', '--api-key', 'k'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await expect
        .poll(() => out, { timeout: 20_000 })
        .toMatch(/listening on http:\/\/127\.0\.0\.1:\d+\/ \(2 worker processes\)/);
      const port = Number(/127\.0\.0\.1:(\d+)\//.exec(out)![1]);
      // Round-robin: two connections land on the two workers.
      const clients = [
        await TestClient.open(`ws://127.0.0.1:${port}/ws`),
        await TestClient.open(`ws://127.0.0.1:${port}/ws`),
      ];
      const api = (path: string, body?: unknown): Promise<Record<string, unknown>> =>
        fetch(`http://127.0.0.1:${port}/api/${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }).then((r) => r.json() as Promise<Record<string, unknown>>);
      // Whichever worker answers the HTTP request, the send reaches both workers' sockets.
      await expect.poll(async () => ((await api('groups')) as { count: number }).count !== undefined).toBe(true);
      for (let i = 0; i < 4; i++) {
        expect(await api('sendToAll', { message: `all ${i}` })).toMatchObject({ ok: true, delivered: 2 });
        for (const c of clients) expect(await c.until((m) => m === `all ${i}`, 5_000)).toBe(`all ${i}`);
      }
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (const c of clients) expect((await c.closed).code).toBe(1001);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});

describe('wsgate serve --redis', () => {
  it("two serve nodes on one Redis send to each other's sockets", async () => {
    redis = await RedisServer.start();
    const options = { host: '127.0.0.1', path: '/ws', apiKey: 'k', redis: redis.url };
    const one = await startServe({ ...options, port: 0 });
    const two = await startServe({ ...options, port: 0 });
    running.push(one, two);
    const a = await TestClient.open(`ws://127.0.0.1:${one.port}/ws`);
    const b = await TestClient.open(`ws://127.0.0.1:${two.port}/ws`);
    const post = (port: number, path: string, body: unknown): Promise<Record<string, unknown>> =>
      fetch(`http://127.0.0.1:${port}/api/${path}`, {
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
    await expect.poll(() => post(one.port, 'sendToAll', { message: 'hello both' }).then((r) => r.delivered)).toBe(2);
    expect(await a.until((m) => m === 'hello both')).toBe('hello both');
    expect(await b.until((m) => m === 'hello both')).toBe('hello both');
  });
});
