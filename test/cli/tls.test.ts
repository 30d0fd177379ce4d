// `wsgate serve --cert --key`: wss:// and https:// on one port with a self-signed certificate made for this run by
// openssl (the client trusts it as its CA); also from the config file, under --workers 2, and bad TLS files.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { main, parseCommand, resolveServeSettings, startServe, type RunningGateway } from '../../src/cli.js';
import { CliProcess } from '../helpers/cli-process.js';

let dir = '';
let ca: Buffer;
const running: RunningGateway[] = [];
const processes: CliProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wsgate-tls-'));
  // A self-signed certificate for 127.0.0.1 and localhost, valid one day.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  ca = readFileSync(join(dir, 'cert.pem'));
  writeFileSync(join(dir, 'wsgate.config.json'), JSON.stringify({ tls: { cert: 'cert.pem', key: 'key.pem' } }));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
  await Promise.all(processes.splice(0).map((p) => p.stop()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function wssRoundTrip(port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, { ca });
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'whoami', id: 7 })));
    ws.once('message', (data: Buffer) => {
      resolve(JSON.parse(data.toString()) as Record<string, unknown>);
      ws.close();
    });
  });
}

function httpsGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('wsgate serve over TLS', () => {
  it('--cert/--key from the config file: wss:// routes and https:// /status; plain ws:// is refused', async () => {
    const command = parseCommand(['serve', '--port', '0', '--host', '127.0.0.1']);
    if (command.command !== 'serve') throw new Error('not serve');
    const settings = await resolveServeSettings(command.flags, {}, dir);
    expect(settings.tls).toEqual({ cert: 'cert.pem', key: 'key.pem' });
    const r = await startServe(settings, { cwd: dir });
    running.push(r);
    expect(r.url).toBe(`https://127.0.0.1:${r.port}/`);
    expect(r.summary.join('\n')).toContain(`wss://127.0.0.1:${r.port}/ws`);
    expect(await wssRoundTrip(r.port)).toMatchObject({ type: 'whoami', id: 7, data: { uid: null } });
    const status = await httpsGet(r.port, '/status');
    expect(status.status).toBe(200);
    expect(JSON.parse(status.body)).toMatchObject({ sockets: expect.any(Number) });
    // The demo page is served over https too (no app given).
    expect((await httpsGet(r.port, '/')).status).toBe(200);
    const plain = new WebSocket(`ws://127.0.0.1:${r.port}/ws`);
    await expect(
      new Promise((resolve, reject) => {
        plain.once('open', resolve);
        plain.once('error', reject);
      }),
    ).rejects.toThrow();
  });

  it('--workers 2 with --cert/--key flags (the real process)', async () => {
    const cli = CliProcess.start(
      [
        'serve',
        '--workers',
        '2',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--cert',
        'cert.pem',
        '--key',
        'key.pem',
        '--config',
        'wsgate.config.json',
      ],
      { cwd: dir },
    );
    processes.push(cli);
    const port = await cli.listening();
    await expect.poll(() => cli.output).toMatch(/listening on https:\/\/127\.0\.0\.1:\d+\/ \(2 worker processes\)/);
    for (let i = 0; i < 4; i++) expect(await wssRoundTrip(port)).toMatchObject({ id: 7 });
    expect(await cli.stop()).toBe(0);
  }, 60_000);

  it('unreadable or invalid TLS files: one line', async () => {
    writeFileSync(join(dir, 'junk.pem'), 'not a certificate');
    const cases: [string[], RegExp][] = [
      [['--cert', 'missing.pem', '--key', 'key.pem'], /^wsgate: cannot read --cert file missing\.pem: ENOENT$/],
      [['--cert', 'junk.pem', '--key', 'key.pem'], /^wsgate: --cert\/--key: /],
    ];
    for (const [argv, line] of cases) {
      const err: string[] = [];
      const stderr = process.stderr.write;
      const before = process.exitCode;
      process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
      try {
        await main(['serve', '--port', '0', '--host', '127.0.0.1', ...argv], {}, dir);
        expect(process.exitCode).toBe(2);
      } finally {
        process.stderr.write = stderr;
        process.exitCode = before;
      }
      expect(err.join('').split('\n')[0]).toMatch(line);
    }
  });
});
