// The WHATWG facade where browsers (and Node 22's undici WebSocket) differ from a plain Node EventTarget or from
// RFC 6455 alone, over real sockets: send(Blob) keeps send order, a requested subprotocol the server does not
// select fails the handshake, `for await` reads messages with bounded memory, a throwing listener is reported and
// the process goes on (child process: an uncaught exception would end it).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseEvent, MESSAGE_QUEUE_LIMITS, WebSocket as FacadeWebSocket } from '../../src/server/whatwg.js';
import { default101, RawServer } from '../helpers/raw.js';
import { cleanupAll, Recorder, startEchoServer, startServer } from '../helpers/servers.js';
import { delay, waitFor, withTimeout } from '../helpers/wait.js';
import { once, open, opened } from '../helpers/whatwg.js';

afterEach(cleanupAll);

/** Every event of `ws` by name (close with its code), in order. */
function trace(ws: FacadeWebSocket): string[] {
  const order: string[] = [];
  ws.addEventListener('open', () => order.push('open'));
  ws.addEventListener('error', () => order.push('error'));
  ws.addEventListener('close', (e) => order.push(`close ${(e as CloseEvent).code}`));
  return order;
}

describe('send(Blob)', () => {
  it('a Blob goes out as binary, in send order with the sends around it; bufferedAmount counts it while it is read', async () => {
    const events = new Recorder();
    const server = await startServer({ handlers: events.handlers() });
    const ws = await opened(`ws://127.0.0.1:${server.port}/`);
    const big = new Uint8Array(256 * 1024).fill(7);
    const reused = new Uint8Array([1, 2, 3]);
    ws.send('first');
    ws.send(new Blob([big]));
    expect(ws.bufferedAmount).toBeGreaterThanOrEqual(big.length);
    ws.send('after the blob');
    ws.send(reused);
    reused.fill(9); // queued behind the Blob: the bytes at send() time go out
    ws.send(new Blob(['text ', 'in a blob']));
    ws.send(new Uint16Array([0x0102]).buffer);
    await waitFor(() => events.messages.length === 6, 2_000, 'six messages');
    expect(
      events.messages.map((m) => [
        m.isBinary,
        m.isBinary && m.data.length > 64 ? `${m.data.length} bytes` : m.data.toString('hex'),
      ]),
    ).toEqual([
      [false, Buffer.from('first').toString('hex')],
      [true, `${big.length} bytes`],
      [false, Buffer.from('after the blob').toString('hex')],
      [true, '010203'],
      [true, Buffer.from('text in a blob').toString('hex')],
      [true, Buffer.from(new Uint16Array([0x0102]).buffer).toString('hex')],
    ]);
    expect(events.messages[1].data.every((b) => b === 7)).toBe(true);
    await waitFor(() => ws.bufferedAmount === 0, 1_000, 'bufferedAmount back to 0');
  });

  it('close() right after send(Blob): the Blob goes out before the Close frame', async () => {
    const events = new Recorder();
    const server = await startServer({ handlers: events.handlers() });
    const ws = await opened(`ws://127.0.0.1:${server.port}/`);
    const closed = once<CloseEvent>(ws, 'close');
    ws.send(new Blob([new Uint8Array([0xca, 0xfe])]));
    ws.close(1000, 'done');
    expect(ws.readyState).toBe(FacadeWebSocket.CLOSING);
    expect((await closed).code).toBe(1000);
    await waitFor(() => events.closes.length === 1, 1_000, 'server close');
    expect(events.log).toEqual(['open', 'message', 'close']);
    expect(events.messages[0].data.toString('hex')).toBe('cafe');
    expect(events.closes[0]).toMatchObject({ code: 1000, reason: 'done' });
  });
  it('a Blob that cannot be read fails the connection: error + close 1006 here, Close 1011 after the earlier sends to the peer; what was queued behind it is not sent', async () => {
    const events = new Recorder();
    const server = await startServer({ handlers: events.handlers() });
    const ws = await opened(`ws://127.0.0.1:${server.port}/`);
    const order = trace(ws);
    class UnreadableBlob extends Blob {
      override arrayBuffer(): Promise<ArrayBuffer> {
        return Promise.reject(new DOMException('the file changed', 'NotReadableError'));
      }
    }
    ws.send('before');
    ws.send(new UnreadableBlob(['x']));
    ws.send('behind');
    await waitFor(() => order.length === 2, 2_000, 'error and close');
    expect(order).toEqual(['error', 'close 1006']);
    expect(ws.bufferedAmount).toBe(0);
    await waitFor(() => events.closes.length === 1, 1_000, 'server close');
    expect(events.messages.map((m) => m.data.toString())).toEqual(['before']);
    expect(events.closes[0]).toMatchObject({ code: 1011, reason: 'Blob read failed' });
  });
});

describe('subprotocols: a requested one must be selected', () => {
  it('a 101 without Sec-WebSocket-Protocol when protocols were requested: error, close 1006, never open; no frame sent', async () => {
    const raw = await RawServer.start((request) => default101(request));
    const ws = open(raw.url, ['chat']);
    const order = trace(ws);
    const peer = await raw.nextPeer();
    expect(peer.request.headers['sec-websocket-protocol']).toBe('chat');
    await waitFor(() => order.length === 2, 2_000, 'error and close');
    expect(order).toEqual(['error', 'close 1006']);
    expect(ws.readyState).toBe(FacadeWebSocket.CLOSED);
    expect(ws.protocol).toBe('');
    await peer.waitClosed();
    expect(peer.frames).toEqual([]);
  });

  it('the same 101 opens when no protocol was requested, and with the header when one was', async () => {
    const plain = await RawServer.start((request) => default101(request));
    expect(trace(await opened(plain.url))).toEqual([]);
    const chat = await RawServer.start((request) => default101(request, { 'Sec-WebSocket-Protocol': 'chat' }));
    expect((await opened(chat.url, ['superchat', 'chat'])).protocol).toBe('chat');
  });
});

describe('for await (const event of ws)', () => {
  it('yields each MessageEvent, then ends after a clean close (messages sent just before the close included)', async () => {
    const server = await startServer({
      handlers: {
        message(ws, data) {
          for (let i = 0; i < 3; i++) ws.send(`${data.toString()} ${i}`);
          ws.close(1000, 'done');
        },
      },
    });
    const ws = await opened(`ws://127.0.0.1:${server.port}/`);
    ws.send('go');
    const seen: string[] = [];
    for await (const event of ws) {
      expect(event).toBeInstanceOf(MessageEvent);
      seen.push(event.data as string);
    }
    expect(seen).toEqual(['go 0', 'go 1', 'go 2']);
    expect(ws.readyState).toBe(FacadeWebSocket.CLOSED);
  });

  it('binary data follows binaryType; a failed connection ends the loop with an Error whose cause is the CloseEvent', async () => {
    const events = new Recorder();
    const server = await startServer({
      handlers: events.handlers({
        message(ws, data) {
          ws.send(data, { binary: true });
          // Abrupt, after the echo has reached the client (destroying at once may reset it unread).
          setTimeout(() => ws.terminate(), 50);
        },
      }),
    });
    const ws = await opened(`ws://127.0.0.1:${server.port}/`);
    ws.binaryType = 'arraybuffer';
    ws.send(new Uint8Array([5, 6]));
    const seen: number[][] = [];
    let failure: unknown = null;
    try {
      for await (const event of ws) seen.push([...new Uint8Array(event.data as ArrayBuffer)]);
    } catch (error) {
      failure = error;
    }
    expect(seen).toEqual([[5, 6]]);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).cause).toBeInstanceOf(CloseEvent);
    expect(((failure as Error).cause as CloseEvent).code).toBe(1006);
  });

  it('a refused connection fails the loop; a loop started after close ends at once', async () => {
    const server = await startServer({ authorize: () => false });
    const ws = open(`ws://127.0.0.1:${server.port}/`);
    await expect(
      (async () => {
        for await (const event of ws) void event;
      })(),
    ).rejects.toThrow(/connection failed/);
    const after: unknown[] = [];
    for await (const event of ws) after.push(event);
    expect(after).toEqual([]);
  });

  it('a slow consumer pauses reading: the queue stays bounded while the peer sends 2 MiB; nothing is lost; break leaves the socket open', async () => {
    const count = 2_000;
    const chunk = 'x'.repeat(1_000);
    const events = new Recorder();
    const server = await startServer({
      handlers: events.handlers({
        message(ws) {
          for (let i = 0; i < count; i++) ws.send(`${i} ${chunk}`);
        },
      }),
    });
    const ws = await opened(`ws://127.0.0.1:${server.port}/`);
    let dispatched = 0;
    ws.addEventListener('message', () => dispatched++);
    const iterator = ws[Symbol.asyncIterator]();
    ws.send('flood');
    // Take one message, then stall: reading must stop soon after the queue limit.
    expect(((await iterator.next()).value as MessageEvent).data).toMatch(/^0 /);
    await delay(300);
    const whileStalled = dispatched;
    await delay(200);
    expect(dispatched).toBe(whileStalled);
    // The limit plus what was already in the TCP read being parsed (64 KiB at most: ~64 of these messages).
    expect(whileStalled).toBeLessThan(MESSAGE_QUEUE_LIMITS.messages + 200);
    expect(whileStalled).toBeLessThan(count);
    // Then read everything, in order.
    let expected = 1;
    for (;;) {
      const { value, done } = await withTimeout(iterator.next(), 2_000, `message ${expected}`);
      expect(done).toBe(false);
      expect((value as MessageEvent).data).toBe(`${expected} ${chunk}`);
      if (++expected === count) break;
    }
    await iterator.return!();
    // After break: still open, and listeners get what comes next (reading resumed).
    expect(ws.readyState).toBe(FacadeWebSocket.OPEN);
    const next = once<MessageEvent>(ws, 'message');
    events.opened[0].send('still here');
    expect((await next).data).toBe('still here');
  });
});

describe('a listener that throws', () => {
  it('is reported as a process warning; the other listeners run, later events arrive, the process lives (child process)', async () => {
    const { server } = await startEchoServer();
    const script = fileURLToPath(new URL('../helpers/child-whatwg-listener.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, `ws://127.0.0.1:${server.port}/`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
    const exitCode = await withTimeout(
      new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
      15_000,
      'the child to exit',
    ).finally(() => child.kill('SIGKILL'));
    expect(exitCode, stderr).toBe(0);
    expect(JSON.parse(lines.at(-1) ?? '{}')).toEqual({
      // Every listener of each event ran although others threw; the throws became warnings, in order.
      seen: ['open 2', 'message one', 'message two', 'close 1000'],
      warnings: [
        'onopen threw',
        'onmessage threw: one',
        'async listener rejected: one',
        'onmessage threw: two',
        'async listener rejected: two',
        'handleEvent threw',
        'onclose threw',
      ],
    });
    expect(stderr).toContain('onmessage threw: one');
  });
});
