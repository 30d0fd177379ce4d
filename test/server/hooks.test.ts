// One error boundary for every user hook (src/server/hooks.ts): a hook that throws or rejects gets the client an
// HTTP 500 before the 101 and a close 1011 after it (`open`, `message`), or is only reported (`close`, `drain`,
// `ping`, `pong`); the `error` hook (or `handshakeError` before the 101) always gets the error; and the process never
// sees an unhandled rejection or uncaught exception — checked in-process and in a child process with no hooks set.
// `connect()`'s hooks go through the same boundary (last block).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXPECTED, FAULTS, faultyServerOptions, HookFailure, provoke } from '../helpers/faulty-hooks.js';
import { connect } from '../../src/server/client.js';
import { Op } from '../helpers/frames.js';
import { RawClient, RawServer } from '../helpers/raw.js';
import { cleanupAll, startServer } from '../helpers/servers.js';
import { delay, waitFor, withTimeout } from '../helpers/wait.js';

afterEach(cleanupAll);

// Whatever escapes the boundary lands here (vitest would also fail the run on it, but later and less clearly).
const escaped: unknown[] = [];
const warnings: Error[] = [];
const onEscape = (error: unknown): void => {
  escaped.push(error);
};
const onWarning = (warning: Error): void => {
  warnings.push(warning);
};
beforeAll(() => {
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  process.on('warning', onWarning);
});
afterAll(() => {
  process.off('unhandledRejection', onEscape);
  process.off('uncaughtException', onEscape);
  process.off('warning', onWarning);
});

describe('a failing hook, with error and handshakeError hooks set', () => {
  it.each(FAULTS)('$hook ($mode)', async (fault) => {
    escaped.length = 0;
    const reported: Error[] = [];
    const server = await startServer(
      faultyServerOptions({
        error: (_ws, error) => void reported.push(error),
        handshakeError: (error) => void reported.push(error),
      }),
    );
    expect(await provoke(server.port, fault)).toBe(EXPECTED[fault.hook]);
    await waitFor(() => reported.length > 0, 2_000, 'the error to be reported');
    await delay(20);
    // The hook's own error, once, not a wrapper of it.
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(HookFailure);
    expect((reported[0] as HookFailure).hook).toBe(fault.hook);
    expect(escaped).toEqual([]);
  });
});

describe('where an error with nowhere to go ends up', () => {
  it('no error hook: a process warning, and the client still gets its 1011', async () => {
    escaped.length = 0;
    warnings.length = 0;
    const server = await startServer(faultyServerOptions());
    expect(await provoke(server.port, { hook: 'open', mode: 'reject' })).toBe('close 1011 internal error');
    await waitFor(() => warnings.some((w) => w instanceof HookFailure), 2_000, 'a warning');
    expect(escaped).toEqual([]);
  });

  it('no handshakeError hook: a process warning, and the client still gets its 500', async () => {
    escaped.length = 0;
    warnings.length = 0;
    const server = await startServer(faultyServerOptions());
    expect(await provoke(server.port, { hook: 'createData', mode: 'throw' })).toBe('HTTP 500');
    await waitFor(() => warnings.some((w) => w instanceof HookFailure), 2_000, 'a warning');
    expect(escaped).toEqual([]);
  });

  it('an error hook that throws (for a hook failure or a peer error) is contained', async () => {
    escaped.length = 0;
    warnings.length = 0;
    const server = await startServer(
      faultyServerOptions({
        error: () => {
          throw new Error('error hook failed');
        },
        handshakeError: () => Promise.reject(new Error('handshakeError hook failed')),
      }),
    );
    expect(await provoke(server.port, { hook: 'message', mode: 'throw' })).toBe('close 1011 internal error');
    expect(await provoke(server.port, { hook: 'authorize', mode: 'reject' })).toBe('HTTP 500');
    // A peer error reaches the error hook from inside the engine: an unmasked client frame (RFC 6455 §5.1 → 1002).
    const client = await RawClient.connect(server.port);
    client.send({ opcode: 0x1, payload: 'unmasked', mask: false });
    expect((await client.expectClose()).code).toBe(1002);
    await waitFor(() => warnings.filter((w) => /hook failed/.test(w.message)).length >= 3, 2_000, 'three warnings');
    expect(escaped).toEqual([]);
    // Still serving.
    expect(await provoke(server.port, { hook: 'ping', mode: 'throw' })).toBe('still open');
  });
});

describe('the process survives every failing hook (child process, default reporting)', () => {
  it('answers each failure as documented and is still alive and serving afterwards', async () => {
    const script = fileURLToPath(new URL('../helpers/child-hooks.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const line = await withTimeout(
        new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
        10_000,
        'the child server to listen',
      );
      const { port } = JSON.parse(line) as { port: number };
      for (const fault of FAULTS) {
        const seen = await provoke(port, fault).catch(async (error: unknown) => {
          await Promise.race([exited, delay(500)]);
          if (child.exitCode !== null) return `child exited with ${child.exitCode}: ${stderr.slice(0, 400)}`;
          return `no answer: ${String(error)}`;
        });
        expect(seen, `${fault.hook} (${fault.mode})`).toBe(EXPECTED[fault.hook]);
      }
      await delay(100);
      expect(child.exitCode, stderr).toBeNull();
      expect(await provoke(port, { hook: 'pong', mode: 'throw' })).toBe('still open');
      // Each failure was reported (as a process warning: the child sets no error hooks).
      for (const fault of FAULTS) expect(stderr).toContain(`${fault.hook} failed`);
    } finally {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    }
  });
});

describe('connect(): the same boundary for client hooks', () => {
  type ClientHook = 'open' | 'message' | 'close' | 'ping' | 'pong';
  const expected: Record<ClientHook, string> = {
    open: 'close 1011 internal error',
    message: 'close 1011 internal error',
    close: 'closed 1000',
    ping: 'still open',
    pong: 'still open',
  };
  const cases = (Object.keys(expected) as ClientHook[]).flatMap((hook) => [
    { hook, mode: 'throw' as const },
    { hook, mode: 'reject' as const },
  ]);

  it.each(cases)('$hook ($mode)', async ({ hook, mode }) => {
    escaped.length = 0;
    const reported: Error[] = [];
    const fail = (name: ClientHook): Promise<void> | undefined => {
      if (name !== hook) return undefined;
      if (mode === 'throw') throw new Error(`client ${name} failed`);
      return Promise.reject(new Error(`client ${name} failed`));
    };
    const server = await RawServer.start();
    const ws = await connect(server.url, {
      timeout: 2_000,
      handlers: {
        open: () => fail('open'),
        message: () => fail('message'),
        close: () => fail('close'),
        ping: () => fail('ping'),
        pong: () => fail('pong'),
        error: (_ws, error) => void reported.push(error),
      },
    });
    const peer = await server.nextPeer();
    let seen: string;
    if (hook === 'open') {
      const close = await peer.expectClose();
      seen = `close ${close.code} ${close.reason}`;
    } else if (hook === 'message') {
      peer.sendText('hello');
      const close = await peer.expectClose();
      seen = `close ${close.code} ${close.reason}`;
    } else if (hook === 'close') {
      peer.sendClose(1000);
      const close = await peer.expectClose();
      peer.end();
      seen = `closed ${close.code}`;
    } else {
      peer.send({ opcode: hook === 'ping' ? Op.Ping : Op.Pong, payload: 'x' });
      const frames: number[] = [];
      for (let frame = await peer.maybeFrame(300); frame !== null; frame = await peer.maybeFrame(300))
        frames.push(frame.opcode);
      seen = frames.includes(Op.Close) ? 'closed' : 'still open';
      ws.terminate();
    }
    expect(seen).toBe(expected[hook]);
    await waitFor(() => reported.length > 0, 2_000, 'the error to be reported');
    await delay(20);
    expect(reported.map((e) => e.message)).toEqual([`client ${hook} failed`]);
    expect(escaped).toEqual([]);
  });
});
