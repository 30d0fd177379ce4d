// A server whose user hooks fail on request, and the client moves that make each one run: the table behind
// test/server/hooks.test.ts, in-process and in a child process (child-hooks.ts). The request URL says which hook
// fails and how: `/?fail=open&mode=reject`; every other hook works (messages are echoed, "big" gets 16 MiB back).
import type { ServerOptions } from '../../src/server/server.js';
import type { SocketHandlers } from '../../src/server/socket.js';
import { Op } from './frames.js';
import { rawHttp, RawClient, upgradeRequest } from './raw.js';

export type Hook =
  'createData' | 'origins' | 'protocols' | 'authorize' | 'open' | 'message' | 'close' | 'drain' | 'ping' | 'pong';
export type Mode = 'throw' | 'reject';

export interface Fault {
  hook: Hook;
  mode: Mode;
}

export interface FaultyData {
  fault: Fault | null;
}

/** The error every failing hook throws or rejects with: its message names the hook. */
export class HookFailure extends Error {
  constructor(readonly hook: Hook) {
    super(`${hook} failed`);
  }
}

/** Hooks whose signature is synchronous (a promise would be a truthy predicate or a data value): throw only. */
export const SYNC_ONLY: readonly Hook[] = ['createData', 'origins', 'protocols'];

/** What the client sees when `hook` fails, for a working server otherwise. */
export const EXPECTED: Record<Hook, string> = {
  createData: 'HTTP 500',
  origins: 'HTTP 500',
  protocols: 'HTTP 500',
  authorize: 'HTTP 500',
  open: 'close 1011 internal error',
  message: 'close 1011 internal error',
  // Reported only: the connection (or, after `close`, the server) keeps working.
  close: 'closed 1000, server still serving',
  drain: 'still open',
  ping: 'still open',
  pong: 'still open',
};

function faultOf(url: string | undefined): Fault | null {
  const query = new URL(url ?? '/', 'http://x').searchParams;
  const hook = query.get('fail');
  if (hook === null) return null;
  return { hook: hook as Hook, mode: query.get('mode') === 'reject' ? 'reject' : 'throw' };
}

function failIf(fault: Fault | null, hook: Hook): void {
  if (fault?.hook === hook) throw new HookFailure(hook);
}

/** For the hooks that may be async: fail by throwing or by returning a rejected promise, as the fault says. */
function failAsync(fault: Fault | null, hook: Hook): Promise<void> | undefined {
  if (fault?.hook !== hook) return undefined;
  if (fault.mode === 'throw') throw new HookFailure(hook);
  return Promise.reject(new HookFailure(hook));
}

const BIG = 16 * 1024 * 1024;

/**
 * Server options with every hook wired to fail on request. `report` adds the `error` and `handshakeError` hooks
 * (left out, failures go to process warnings — the default).
 */
export function faultyServerOptions(
  report: { error?: SocketHandlers<FaultyData>['error']; handshakeError?: ServerOptions['handshakeError'] } = {},
): ServerOptions<FaultyData> {
  // The hooks are declared returning void; an `async` hook (a promise) is what users write too.
  const handlers = {
    open: (ws) => failAsync(ws.data.fault, 'open'),
    message: (ws, data, isBinary) => {
      const failed = failAsync(ws.data.fault, 'message');
      if (failed !== undefined) return failed;
      if (data.toString() === 'big') ws.send(Buffer.alloc(BIG));
      else ws.send(data, { binary: isBinary });
      return undefined;
    },
    close: (ws) => failAsync(ws.data.fault, 'close'),
    drain: (ws) => failAsync(ws.data.fault, 'drain'),
    ping: (ws) => failAsync(ws.data.fault, 'ping'),
    pong: (ws) => failAsync(ws.data.fault, 'pong'),
    error: report.error,
  } satisfies SocketHandlers<FaultyData>;
  return {
    handlers,
    handshakeError: report.handshakeError,
    origins: (_origin, req) => {
      failIf(faultOf(req.url), 'origins');
      return true;
    },
    protocols: (offered, req) => {
      failIf(faultOf(req.url), 'protocols');
      return offered[0];
    },
    authorize: (req) => failAsync(faultOf(req.url), 'authorize'),
    createData: (req) => {
      const fault = faultOf(req.url);
      failIf(fault, 'createData');
      return { fault };
    },
  };
}

/** Makes `fault.hook` run against the server on `port` and says what the client saw (compare with EXPECTED). */
export async function provoke(port: number, fault: Fault): Promise<string> {
  const path = `/?fail=${fault.hook}&mode=${fault.mode}`;
  const request = { path, headers: { 'Sec-WebSocket-Protocol': 'chat', Origin: 'http://app.example' } };
  switch (fault.hook) {
    case 'createData':
    case 'origins':
    case 'protocols':
    case 'authorize': {
      const response = await rawHttp(port, upgradeRequest(port, request));
      return `HTTP ${response.status}`;
    }
    case 'open': {
      const client = await RawClient.connect(port, request);
      const close = await client.expectClose();
      return `close ${close.code} ${close.reason}`;
    }
    case 'message': {
      const client = await RawClient.connect(port, request);
      client.sendText('hello');
      const close = await client.expectClose();
      return `close ${close.code} ${close.reason}`;
    }
    case 'close': {
      const client = await RawClient.connect(port, request);
      client.sendClose(1000);
      const close = await client.expectClose();
      await client.waitClosed();
      const next = await RawClient.connect(port);
      const alive = await echoes(next);
      next.destroy();
      return `closed ${close.code}, ${alive ? 'server still serving' : 'server not answering'}`;
    }
    case 'drain': {
      const client = await RawClient.connect(port, request);
      client.sendText('big');
      const frame = await client.nextFrame(10_000);
      if (frame.payload.length !== BIG) return `unexpected frame of ${frame.payload.length} bytes`;
      return (await echoes(client)) ? 'still open' : 'closed';
    }
    case 'ping':
    case 'pong': {
      const client = await RawClient.connect(port, request);
      client.send({ opcode: fault.hook === 'ping' ? Op.Ping : Op.Pong, payload: 'x' });
      return (await echoes(client)) ? 'still open' : 'closed';
    }
  }
}

/** Sends a text message and looks for its echo (skipping the pong a ping earned). */
async function echoes(client: RawClient): Promise<boolean> {
  client.sendText('echo?');
  for (;;) {
    const frame = await client.maybeFrame(2_000);
    if (frame === null || frame.opcode === Op.Close) return false;
    if (frame.opcode === Op.Text) return frame.payload.toString() === 'echo?';
  }
}

/** Every hook × the ways it can fail. */
export const FAULTS: Fault[] = (Object.keys(EXPECTED) as Hook[]).flatMap((hook) =>
  SYNC_ONLY.includes(hook)
    ? [{ hook, mode: 'throw' as const }]
    : [
        { hook, mode: 'throw' as const },
        { hook, mode: 'reject' as const },
      ],
);
