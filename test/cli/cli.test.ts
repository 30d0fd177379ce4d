// The `wsgate` CLI: argument parsing, the echo server, `serve`, and graceful shutdown on SIGTERM in a child process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import { helpText, main, parseCommand, startEcho, startServe, UsageError, type Running } from '../../src/cli.js';

describe('parseCommand', () => {
  const serveFlags = (argv: string[]): Map<string, unknown> => {
    const command = parseCommand(['serve', ...argv]);
    if (command.command !== 'serve') throw new Error(`not serve: ${command.command}`);
    return new Map([...command.flags.values].map(([spec, value]) => [spec.key, value]));
  };

  it('commands and echo defaults', () => {
    expect(parseCommand([])).toEqual({ command: 'help' });
    expect(parseCommand(['help'])).toEqual({ command: 'help' });
    expect(parseCommand(['--help'])).toEqual({ command: 'help' });
    expect(parseCommand(['serve', '-h'])).toEqual({ command: 'help' });
    expect(parseCommand(['version'])).toEqual({ command: 'version' });
    expect(parseCommand(['echo'])).toEqual({
      command: 'echo',
      settings: { port: 9001, host: '0.0.0.0', deflate: false, maxPayload: undefined },
    });
    expect(serveFlags([])).toEqual(new Map());
  });

  it('flags as "--flag value" and "--flag=value"', () => {
    expect(serveFlags(['--port', '0', '--host=127.0.0.1', '--api-key', 'k', '--path=/socket'])).toEqual(
      new Map<string, unknown>([
        ['port', 0],
        ['host', '127.0.0.1'],
        ['path', '/socket'],
        ['apiKey', 'k'],
      ]),
    );
    expect(parseCommand(['echo', '--port=9002', '--deflate', '--max-payload', '1024'])).toEqual({
      command: 'echo',
      settings: { port: 9002, host: '0.0.0.0', deflate: true, maxPayload: 1024 },
    });
    expect(parseCommand(['echo', '--help'])).toEqual({ command: 'help' });
  });

  it('--rate-limit N (0 = off), --origin repeatable, --origins comma-separated ("*" = any)', () => {
    const flags = serveFlags(['--rate-limit', '0', '--origin', 'https://a.example', '--origin=https://b.example']);
    expect(flags.get('rateLimit.messages')).toBe(0);
    expect(flags.get('origins')).toEqual(['https://a.example', 'https://b.example']);
    expect(serveFlags(['--origins', 'https://a.example,https://c.example:8443']).get('origins')).toEqual([
      'https://a.example',
      'https://c.example:8443',
    ]);
    expect(serveFlags(['--rate-limit=50', '--origin', '*'])).toEqual(
      new Map<string, unknown>([
        ['rateLimit.messages', 50],
        ['origins', '*'],
      ]),
    );
  });

  it('durations and sizes take units; switches take --no-', () => {
    const flags = serveFlags(['--heartbeat-interval', '30s', '--max-message-size', '64kb', '--no-demo', '--raw']);
    expect(flags.get('heartbeat.interval')).toBe(30_000);
    expect(flags.get('maxMessageSize')).toBe(65_536);
    expect(flags.get('demo')).toBe(false);
    expect(flags.get('raw')).toBe(true);
    expect(serveFlags(['--auth-timeout', '1.5s']).get('authTimeout')).toBe(1_500);
  });

  it('says what is wrong, naming the option', () => {
    const cases: [string[], RegExp][] = [
      [['launch'], /^unknown command "launch"/],
      [['serve', '--prot', '1'], /^unknown option --prot for "wsgate serve"$/],
      [
        ['serve', '--heartbeat', '1'],
        /^unknown option --heartbeat for "wsgate serve" \(did you mean --heartbeat-interval or --heartbeat-max-missed\?\)$/,
      ],
      [['echo', '--api-key', 'x'], /^unknown option --api-key for "wsgate echo"$/],
      [['serve', '--port'], /^--port needs a value$/],
      [['serve', '--port', '--host', 'x'], /^--port needs a value$/],
      [['serve', '--api-key=--port'], /^--api-key needs a value$/],
      [['serve', '--port', '70000'], /^--port must be a port number 0-65535, got "70000"$/],
      [['serve', '--port', '80a'], /^--port must be a port number/],
      [['serve', '--path', 'ws'], /^--path must start with "\/", got "ws"$/],
      [['serve', '--api-key='], /^--api-key must not be empty$/],
      [['serve', '--rate-limit', 'fast'], /^--rate-limit must be a whole number 0-1000000; 0 = no limit, got "fast"$/],
      [['serve', '--heartbeat-interval', '-5'], /^--heartbeat-interval needs a value$/],
      [['serve', '--heartbeat-interval', '5 parsecs'], /^--heartbeat-interval must be a duration/],
      [['serve', '--max-message-size', '0'], /^--max-message-size must be a size in bytes/],
      [
        ['serve', '--rate-limit-action', 'explode'],
        /^--rate-limit-action must be one of reject, close, got "explode"$/,
      ],
      [['serve', '--origin='], /^--origin must not be empty$/],
      [['serve', '--origins', 'evil.example'], /^--origins must be origins like https:\/\/app\.example/],
      [['serve', '--demo', '--no-demo'], /^--demo and --no-demo both given$/],
      [['serve', '--raw=yes'], /^--raw takes no value$/],
      [['echo', '--max-payload', '0'], /^--max-payload must be a size in bytes/],
      [['echo', '--deflate=yes'], /^--deflate takes no value$/],
      [['echo', 'extra'], /^unexpected argument "extra" for "wsgate echo"$/],
    ];
    for (const [argv, message] of cases) {
      expect(() => parseCommand(argv), argv.join(' ')).toThrow(UsageError);
      expect(() => parseCommand(argv), argv.join(' ')).toThrow(message);
    }
  });
});

describe('main', () => {
  function capture(): { out: string[]; err: string[]; restore: () => void } {
    const out: string[] = [];
    const err: string[] = [];
    const stdout = process.stdout.write;
    const stderr = process.stderr.write;
    process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
    return {
      out,
      err,
      restore: () => {
        process.stdout.write = stdout;
        process.stderr.write = stderr;
      },
    };
  }

  it('help and version', async () => {
    const io = capture();
    try {
      await main(['help']);
      await main(['version']);
    } finally {
      io.restore();
    }
    expect(io.out[0]).toBe(helpText());
    expect(io.out[1]).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a usage error goes to stderr with exit code 2', async () => {
    const io = capture();
    const before = process.exitCode;
    try {
      await main(['serve', '--bogus']);
      expect(process.exitCode).toBe(2);
    } finally {
      io.restore();
      process.exitCode = before;
    }
    expect(io.err.join('')).toMatch(
      /^wsgate: unknown option --bogus for "wsgate serve"\nRun "wsgate help" for usage\.\n$/,
    );
  });
});

describe('servers started by the CLI', () => {
  const running: Running[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.close()));
  });

  function connect(url: string, options?: { perMessageDeflate?: boolean }): Promise<NodeWebSocket> {
    return new Promise((resolve, reject) => {
      const ws = new NodeWebSocket(url, { perMessageDeflate: options?.perMessageDeflate ?? false });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  }

  function roundTrip(
    ws: NodeWebSocket,
    data: string | Buffer,
    binary: boolean,
  ): Promise<{ data: Buffer; isBinary: boolean }> {
    return new Promise((resolve) => {
      ws.once('message', (reply: Buffer, isBinary: boolean) => resolve({ data: reply, isBinary }));
      ws.send(data, { binary });
    });
  }

  it('echo: text back as text, binary as binary', async () => {
    const echo = await startEcho({ port: 0, host: '127.0.0.1', deflate: false, maxPayload: undefined });
    running.push(echo);
    expect(echo.url).toBe(`ws://127.0.0.1:${echo.port}/`);
    const ws = await connect(echo.url);
    expect(await roundTrip(ws, 'héllo', false)).toEqual({ data: Buffer.from('héllo'), isBinary: false });
    const bytes = Buffer.from([0, 1, 2, 255]);
    expect(await roundTrip(ws, bytes, true)).toEqual({ data: bytes, isBinary: true });
    ws.close();
  });

  it('echo --deflate negotiates permessage-deflate; --max-payload closes with 1009 above it', async () => {
    const echo = await startEcho({ port: 0, host: '127.0.0.1', deflate: true, maxPayload: 1000 });
    running.push(echo);
    const ws = await connect(echo.url, { perMessageDeflate: true });
    expect(ws.extensions).toContain('permessage-deflate');
    const text = 'compress me '.repeat(50);
    expect((await roundTrip(ws, text, false)).data.toString()).toBe(text);
    const closed = once(ws, 'close');
    ws.send('x'.repeat(1001));
    const [code] = (await closed) as [number];
    expect(code).toBe(1009);
  });

  it('serve: the gateway with demo routes, HTTP and the API when given a key', async () => {
    const gw = await startServe({ port: 0, host: '127.0.0.1', path: '/chat', apiKey: 'cli-key' });
    running.push(gw);
    const base = `http://127.0.0.1:${gw.port}`;
    expect((await fetch(`${base}/status`)).status).toBe(200);
    expect(await (await fetch(`${base}/`)).text()).toContain('content="/chat"');
    const api = await fetch(`${base}/api/sendToAll`, {
      method: 'POST',
      headers: { authorization: 'Bearer cli-key' },
      body: '{"message":"x"}',
    });
    expect(await api.json()).toEqual({ ok: true, delivered: 0 });
    const ws = await connect(`ws://127.0.0.1:${gw.port}/chat`);
    const reply = await roundTrip(ws, JSON.stringify({ type: 'whoami', id: 1 }), false);
    expect(JSON.parse(reply.data.toString())).toMatchObject({ type: 'whoami', id: 1, data: { uid: null } });
    ws.close();
  });
});

describe('the wsgate process', () => {
  it('prints where it listens and shuts down gracefully on SIGTERM (clients get 1001)', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        "import('./src/cli.ts').then((m) => m.main(['echo', '--port', '0', '--host', '127.0.0.1']))",
      ],
      {
        cwd: process.cwd(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no listening line; stdout=${stdout} stderr=${stderr}`)),
          15_000,
        );
        const check = (): void => {
          const m = /listening on (ws:\/\/\S+)/.exec(stdout);
          if (m !== null) {
            clearTimeout(timer);
            child.stdout.off('data', check);
            resolve(m[1]!);
          }
        };
        child.stdout.on('data', check);
        child.once('exit', () => reject(new Error(`exited early; stderr=${stderr}`)));
      });
      const ws = new NodeWebSocket(url);
      await once(ws, 'open');
      const closed = once(ws, 'close');
      child.kill('SIGTERM');
      const [code] = (await closed) as [number];
      expect(code).toBe(1001);
      const [exitCode] = (await exited) as [number | null];
      expect(exitCode).toBe(0);
      expect(stdout).toContain('SIGTERM: shutting down');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
