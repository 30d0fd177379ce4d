// Configuration of `wsgate serve`: precedence flags > environment > config file > defaults, every config-file
// flavour (.json, .js, .mjs, --config, WSGATE_CONFIG), bad values from each source as one line naming the option
// with exit code 2 and no stack trace, and --help / docs/cli.md generated from the one option table.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  envName,
  helpText,
  main,
  optionsMarkdown,
  parseCommand,
  resolveServeSettings,
  SERVE_OPTIONS,
  startServe,
  type Running,
  type ServeSettings,
} from '../../src/cli.js';
import { DEFAULT_SERVE_OPTIONS } from '../../src/cli/option-table.js';
import { settleServeOptions } from '../../src/cli/serve-defaults.js';

const dirs: string[] = [];
const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temporary working directory holding `files`. */
function workdir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsgate-cli-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function settings(argv: string[], env: Record<string, string> = {}, cwd = workdir()): Promise<ServeSettings> {
  const command = parseCommand(['serve', ...argv]);
  if (command.command !== 'serve') throw new Error('not serve');
  return resolveServeSettings(command.flags, env, cwd);
}

/** Runs `main` with stdout/stderr captured; returns them and the exit code it set. */
async function runMain(
  argv: string[],
  env: Record<string, string> = {},
  cwd = workdir(),
): Promise<{ out: string; err: string; code: number | string | undefined }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  const before = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    await main(argv, env, cwd);
    return { out: out.join(''), err: err.join(''), code: process.exitCode };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
    process.exitCode = before;
  }
}

describe('precedence: flags > environment > config file > defaults', () => {
  const file = JSON.stringify({
    port: 7001,
    heartbeat: { interval: 1111, maxMissed: 7 },
    authTimeout: 2222,
    rateLimit: { messages: 33, action: 'close' },
    apiKey: 'from-file',
    maxMessageSize: 4096,
  });

  it('each level overrides the ones below it, option by option', async () => {
    const cwd = workdir({ 'wsgate.config.json': file });
    const env = { WSGATE_HEARTBEAT_INTERVAL: '2s', WSGATE_API_KEY: 'from-env', WSGATE_AUTH_TIMEOUT: '3333' };
    const s = await settings(['--heartbeat-interval', '5000', '--port', '7002'], env, cwd);
    expect(s.configFile).toBe(join(cwd, 'wsgate.config.json'));
    expect(s.port).toBe(7002); // flag over file
    expect(s.host).toBe('0.0.0.0'); // default
    expect(s.gateway).toEqual({
      heartbeat: { interval: 5000, maxMissed: 7 }, // flag over env over file; maxMissed from the file
      authTimeout: 3333, // env over file
      rateLimit: { messages: 33, action: 'close' }, // file over the serve default (20)
      apiKey: 'from-env', // env over file
      maxMessageSize: 4096, // file
    });
    expect(s.sources).toEqual(
      new Map([
        ['port', 'flag'],
        ['host', 'default'],
        ['heartbeat.interval', 'flag'],
        ['heartbeat.maxMissed', 'file'],
        ['authTimeout', 'env'],
        ['rateLimit.messages', 'file'],
        ['rateLimit.action', 'file'],
        ['maxMessageSize', 'file'],
        ['apiKey', 'env'],
      ]),
    );
  });

  it('the running gateway gets the result (and the serve defaults where nothing is set)', async () => {
    const cwd = workdir({ 'wsgate.config.json': file });
    const s = await settings(
      ['--port', '0', '--host', '127.0.0.1', '--rate-limit', '0'],
      { WSGATE_AUTH_TIMEOUT: '3s' },
      cwd,
    );
    const r = await startServe(s, { cwd });
    running.push(r);
    expect(r.gateway.options).toMatchObject({
      heartbeat: { interval: 1111, maxMissed: 7 },
      authTimeout: 3000,
      rateLimit: null,
      apiKey: 'from-file',
      maxMessageSize: 4096,
    });
    const defaults = await startServe(await settings(['--port', '0', '--host', '127.0.0.1']), { cwd: workdir() });
    running.push(defaults);
    expect(defaults.gateway.options).toMatchObject({
      heartbeat: { interval: 15_000, maxMissed: 3 },
      rateLimit: { messages: 20, interval: 1_000, action: 'reject' },
      apiKey: undefined,
    });
  });

  it('--history-size alone turns history on (serve ttl); WSGATE_RECOVERY_SECRET alone turns recovery on', async () => {
    const secret = 'sixteen-bytes-or-more';
    const s = await settings(['--port', '0', '--host', '127.0.0.1', '--history-size', '5', '--auth-failure', 'close'], {
      WSGATE_RECOVERY_SECRET: secret,
      WSGATE_REQUEST_TIMEOUT: '2s',
      WSGATE_MAX_PENDING_REQUESTS: '5',
    });
    expect(s.sources.get('recovery.secret')).toBe('env');
    expect(s.gateway).toMatchObject({
      history: { size: 5 },
      recovery: { secret },
      authFailure: 'close',
      requestTimeout: 2000,
      maxPendingRequests: 5,
    });
    expect(settleServeOptions(s.gateway)).toMatchObject({
      history: { size: 5, ttl: DEFAULT_SERVE_OPTIONS.historyTtl },
      recovery: { secret, window: DEFAULT_SERVE_OPTIONS.recoveryWindow },
    });
    const r = await startServe(s, { cwd: workdir() });
    running.push(r);
    // History is on and keeps --history-size messages per stream: 8 sent, the last 5 kept.
    for (let i = 1; i <= 8; i++) await r.gateway.sendToAll({ type: 'n', data: i });
    const page = await r.gateway.history('all');
    expect(page.entries.map((e) => e.offset)).toEqual([4, 5, 6, 7, 8]);
    // Off unless asked for: no history or recovery object reaches the gateway.
    const plain = await settings(['--port', '0', '--host', '127.0.0.1']);
    expect(plain.gateway.history).toBeUndefined();
    expect(plain.gateway.recovery).toBeUndefined();
  });

  it('--dashboard with an API key from the environment serves the page', async () => {
    const s = await settings(['--port', '0', '--host', '127.0.0.1', '--dashboard'], { WSGATE_API_KEY: 'k' });
    const r = await startServe(s, { cwd: workdir() });
    running.push(r);
    const page = await fetch(`http://127.0.0.1:${r.port}/dashboard`);
    expect(page.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${r.port}/dashboard/stats`)).status).toBe(401);
  });

  it('an empty environment variable is unset; --no-x beats WSGATE_X=true', async () => {
    expect((await settings([], { WSGATE_API_KEY: '' })).gateway.apiKey).toBeUndefined();
    expect((await settings(['--no-raw'], { WSGATE_RAW: 'true' })).gateway.raw).toBe(false);
    expect((await settings([], { WSGATE_RAW: 'yes' })).gateway.raw).toBe(true);
  });

  it('config files: .js and .mjs default exports, shorthands, --config and WSGATE_CONFIG', async () => {
    const js = workdir({
      'wsgate.config.js': 'export default { heartbeat: false, rateLimit: false, redis: "redis://10.0.0.1:6379" };',
      'package.json': '{"type":"module"}',
    });
    expect(await settings([], {}, js)).toMatchObject({
      redis: { url: 'redis://10.0.0.1:6379' },
      gateway: { heartbeat: { interval: 0 }, rateLimit: { messages: 0 } },
    });
    const mjs = workdir({ 'wsgate.config.mjs': 'export default { path: "/socket", origins: ["https://a.example"] };' });
    expect((await settings([], {}, mjs)).gateway).toEqual({ path: '/socket', origins: ['https://a.example'] });
    const given = workdir({ 'prod.json': '{"port": 9443, "tls": {"cert": "c.pem", "key": "k.pem"}}' });
    expect(await settings(['--config', 'prod.json'], {}, given)).toMatchObject({
      port: 9443,
      tls: { cert: 'c.pem', key: 'k.pem' },
    });
    expect(await settings([], { WSGATE_CONFIG: 'prod.json' }, given)).toMatchObject({ port: 9443 });
    // No file: nothing read.
    expect((await settings([], {}, workdir())).configFile).toBeUndefined();
  });
});

describe('bad values: one line naming the option and its source, exit code 2', () => {
  const cases: {
    name: string;
    argv?: string[];
    env?: Record<string, string>;
    files?: Record<string, string>;
    line: RegExp;
  }[] = [
    { name: 'flag', argv: ['--auth-timeout', 'soon'], line: /^wsgate: --auth-timeout must be a duration in ms/ },
    {
      name: 'env',
      env: { WSGATE_PORT: '99999' },
      line: /^wsgate: WSGATE_PORT must be a port number 0-65535, got "99999"$/,
    },
    {
      name: 'secret env',
      env: { WSGATE_REDIS_URL: 'http://x' },
      line: /^wsgate: WSGATE_REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/,
    },
    {
      name: 'file value',
      files: { 'wsgate.config.json': '{"heartbeat": {"interval": "often"}}' },
      line: /^wsgate: heartbeat\.interval in wsgate\.config\.json must be a duration in ms .*, got "often"$/,
    },
    {
      name: 'file key typo',
      files: { 'wsgate.config.json': '{"heartbeet": {"interval": 1}}' },
      line: /^wsgate: unknown key "heartbeet" in wsgate\.config\.json/,
    },
    {
      name: 'file type',
      files: { 'wsgate.config.json': '{"rateLimit": {"messages": [1]}}' },
      line: /^wsgate: rateLimit\.messages in wsgate\.config\.json must be a whole number 0-1000000; 0 = no limit, got a list$/,
    },
    {
      name: 'file JSON',
      files: { 'wsgate.config.json': '{"port": 1,,}' },
      line: /^wsgate: wsgate\.config\.json is not valid JSON: /,
    },
    {
      name: 'file module',
      files: { 'wsgate.config.mjs': 'export default {; broken' },
      line: /^wsgate: cannot load wsgate\.config\.mjs: /,
    },
    {
      name: 'enum flag',
      argv: ['--auth-failure', 'sometimes'],
      line: /^wsgate: --auth-failure must be one of auto, close, http, got "sometimes"$/,
    },
    {
      name: 'short secret env',
      env: { WSGATE_RECOVERY_SECRET: 'short' },
      line: /^wsgate: WSGATE_RECOVERY_SECRET must be at least 16 bytes/,
    },
    {
      name: 'dashboard without a key',
      argv: ['--dashboard', '--port', '0', '--host', '127.0.0.1'],
      line: /^wsgate: --dashboard needs an API key \(--api-key, or better WSGATE_API_KEY\)$/,
    },
    { name: 'missing --config', argv: ['--config', 'nope.json'], line: /^wsgate: config file nope\.json not found$/ },
    { name: 'cert without key', argv: ['--cert', 'c.pem'], line: /^wsgate: --cert and --key go together/ },
    { name: 'two apps', argv: ['a.js', 'b.js'], line: /^wsgate: unexpected argument "b\.js" for "wsgate serve"/ },
    { name: 'missing app', argv: ['missing-app.mjs'], line: /^wsgate: app module missing-app\.mjs not found$/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { out, err, code } = await runMain(['serve', ...(c.argv ?? [])], c.env, workdir(c.files));
      expect(code).toBe(2);
      expect(out).toBe('');
      const lines = err.trimEnd().split('\n');
      expect(lines, err).toHaveLength(2);
      expect(lines[0]).toMatch(c.line);
      expect(lines[1]).toBe('Run "wsgate help" for usage.');
      expect(err).not.toMatch(/\n\s+at /); // no stack trace
    });
  }
});

describe('failures to start: one line, exit code 1', () => {
  it('a port in use', async () => {
    const first = await startServe({ port: 0, host: '127.0.0.1' }, { cwd: workdir() });
    running.push(first);
    const { out, err, code } = await runMain(['serve', '--port', String(first.port), '--host', '127.0.0.1']);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(
      new RegExp(`^wsgate: listen EADDRINUSE: address already in use 127\\.0\\.0\\.1:${first.port}\n$`),
    );
  });
});

describe('--help and docs/cli.md come from the option table', () => {
  it('--help lists every option with its default, environment variable and config key', async () => {
    const { out, code } = await runMain(['serve', '--help']);
    expect(code).toBeUndefined();
    expect(out).toBe(helpText());
    for (const spec of SERVE_OPTIONS) {
      expect(out).toContain(`--${spec.flag}`);
      expect(out).toContain(`default ${spec.defaultText}`);
      const env = envName(spec);
      if (env !== null) expect(out).toContain(`env ${env}`);
    }
    for (const flag of [
      '--heartbeat-interval',
      '--auth-timeout',
      '--rate-limit',
      '--max-message-size',
      '--presence-ttl',
      '--origins',
      '--api-key',
      '--cert',
      '--key',
      '--no-demo',
    ])
      expect(out).toContain(flag);
  });

  it('docs/cli.md holds the generated table (npm run docs:cli rewrites it)', () => {
    const doc = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
    const table = /<!-- options:start -->\n([\s\S]*?)<!-- options:end -->/.exec(doc)?.[1];
    expect(table).toBe(optionsMarkdown());
  });
});
