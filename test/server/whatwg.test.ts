// The WHATWG-shaped client facade (`src/server/whatwg.ts`) against a wsgate echo server over real sockets:
// events, on* handlers, binaryType, readyState transitions, send() argument types, close() rules.
import { afterEach, describe, expect, it } from 'vitest';
import { CloseEvent, WebSocket as FacadeWebSocket } from '../../src/server/whatwg.js';
import { cleanupAll, Recorder, startEchoServer, startServer } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { once, open, opened } from '../helpers/whatwg.js';

afterEach(cleanupAll);

describe('WHATWG WebSocket facade', () => {
  it('CONNECTING → OPEN with an open event; send before open throws InvalidStateError', async () => {
    const { url } = await startEchoServer();
    const ws = open(url);
    expect(ws.readyState).toBe(FacadeWebSocket.CONNECTING);
    expect(ws.readyState).toBe(ws.CONNECTING);
    expect(() => ws.send('too early')).toThrow(expect.objectContaining({ name: 'InvalidStateError' }));
    await once(ws, 'open');
    expect(ws.readyState).toBe(FacadeWebSocket.OPEN);
    expect(ws.bufferedAmount).toBe(0);
    expect(ws.url).toBe(url);
  });

  it('text messages arrive as strings through addEventListener and onmessage', async () => {
    const { url } = await startEchoServer();
    const ws = await opened(url);
    const seen: string[] = [];
    ws.addEventListener('message', (e) => seen.push(`listener:${(e as MessageEvent).data}`));
    ws.onmessage = (e) => seen.push(`onmessage:${(e as MessageEvent).data}`);
    ws.send('héllo');
    await waitFor(() => seen.length === 2, 1_000, 'two deliveries');
    expect(seen.sort()).toEqual(['listener:héllo', 'onmessage:héllo']);
  });

  it('assigning onmessage replaces the previous handler; null removes it', async () => {
    const { url } = await startEchoServer();
    const ws = await opened(url);
    const seen: string[] = [];
    const first = (): void => void seen.push('first');
    ws.onmessage = first;
    expect(ws.onmessage).toBe(first);
    ws.onmessage = () => seen.push('second');
    ws.send('a');
    await waitFor(() => seen.length === 1, 1_000, 'delivery');
    expect(seen).toEqual(['second']);
    ws.onmessage = null;
    expect(ws.onmessage).toBeNull();
    const listener = once<MessageEvent>(ws, 'message');
    ws.send('b');
    await listener;
    expect(seen).toEqual(['second']);
  });

  it("binaryType 'blob' (default), 'arraybuffer' and 'nodebuffer'", async () => {
    const { url } = await startEchoServer();
    const ws = await opened(url);
    expect(ws.binaryType).toBe('blob');
    ws.send(new Uint8Array([1, 2, 3]));
    const blob = (await once<MessageEvent>(ws, 'message')).data as Blob;
    expect(blob).toBeInstanceOf(Blob);
    expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual([1, 2, 3]);

    ws.binaryType = 'arraybuffer';
    ws.send(new Uint8Array([4, 5]).buffer);
    const ab = (await once<MessageEvent>(ws, 'message')).data as ArrayBuffer;
    expect(ab).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(ab)]).toEqual([4, 5]);

    ws.binaryType = 'nodebuffer';
    ws.send(Buffer.from([6]));
    const buf = (await once<MessageEvent>(ws, 'message')).data as Buffer;
    expect(Buffer.isBuffer(buf)).toBe(true);
    expect([...buf]).toEqual([6]);
  });

  it('send accepts views with offsets (typed arrays, DataView) and sends exactly their bytes', async () => {
    const events = new Recorder();
    const server = await startServer({ handlers: events.handlers() });
    const ws = await opened(`ws://127.0.0.1:${server.port}/`);
    const backing = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]);
    ws.send(backing.subarray(2, 5));
    ws.send(new DataView(backing.buffer, 6, 2));
    ws.send(new Uint16Array([0x0102]));
    ws.send('text');
    await waitFor(() => events.messages.length === 4, 1_000, 'messages');
    expect(events.messages.map((m) => [m.isBinary, m.data.toString('hex')])).toEqual([
      [true, '020304'],
      [true, '0607'],
      [true, Buffer.from(new Uint16Array([0x0102]).buffer).toString('hex')],
      [false, Buffer.from('text').toString('hex')],
    ]);
  });

  it('close(1000, reason): CLOSING, then a clean close event; the server sees the code and reason', async () => {
    const events = new Recorder();
    const server = await startServer({ handlers: events.handlers() });
    const ws = await opened(`ws://127.0.0.1:${server.port}/`);
    const closed = once<CloseEvent>(ws, 'close');
    ws.close(1000, 'bye');
    expect(ws.readyState).toBe(FacadeWebSocket.CLOSING);
    const event = await closed;
    expect(event).toBeInstanceOf(CloseEvent);
    expect(event).toMatchObject({ code: 1000, wasClean: true });
    expect(ws.readyState).toBe(FacadeWebSocket.CLOSED);
    await waitFor(() => events.closes.length === 1, 1_000, 'server close');
    expect(events.closes[0]).toMatchObject({ code: 1000, reason: 'bye' });
    // Closing again does nothing; sending after close does not throw.
    expect(() => ws.close()).not.toThrow();
    expect(() => ws.send('late')).not.toThrow();
  });

  it('close() argument checks: InvalidAccessError for codes other than 1000/3000–4999, SyntaxError for long reasons', async () => {
    const { url } = await startEchoServer();
    const ws = await opened(url);
    expect(() => ws.close(1001)).toThrow(expect.objectContaining({ name: 'InvalidAccessError' }));
    expect(() => ws.close(5000)).toThrow(expect.objectContaining({ name: 'InvalidAccessError' }));
    expect(() => ws.close(1000, 'é'.repeat(62))).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    expect(ws.readyState).toBe(FacadeWebSocket.OPEN);
    ws.close(4999);
    expect((await once<CloseEvent>(ws, 'close')).code).toBe(4999);
  });

  it('a server-initiated close reaches onclose with its code and reason', async () => {
    const events = new Recorder();
    const server = await startServer({ handlers: events.handlers() });
    const ws = await opened(`ws://127.0.0.1:${server.port}/`);
    const codes: number[] = [];
    ws.onclose = (e) => codes.push((e as CloseEvent).code);
    const closed = once<CloseEvent>(ws, 'close');
    await waitFor(() => events.opened.length === 1, 1_000, 'server open');
    events.opened[0].close(4321, 'kicked');
    expect(await closed).toMatchObject({ code: 4321, reason: 'kicked', wasClean: true });
    expect(codes).toEqual([4321]);
  });

  it('an abrupt end: error, then close 1006 not clean', async () => {
    const events = new Recorder();
    const server = await startServer({ handlers: events.handlers() });
    const ws = await opened(`ws://127.0.0.1:${server.port}/`);
    const order: string[] = [];
    ws.onerror = () => order.push('error');
    ws.onclose = (e) => order.push(`close ${(e as CloseEvent).code} ${(e as CloseEvent).wasClean}`);
    await waitFor(() => events.opened.length === 1, 1_000, 'server open');
    events.opened[0].terminate();
    await waitFor(() => order.length === 2, 1_000, 'error and close');
    expect(order).toEqual(['error', 'close 1006 false']);
  });

  it('a refused connection: error, then close 1006', async () => {
    const server = await startServer({ authorize: () => false });
    const ws = open(`ws://127.0.0.1:${server.port}/`);
    const order: string[] = [];
    ws.addEventListener('error', () => order.push('error'));
    ws.addEventListener('close', (e) => order.push(`close ${(e as CloseEvent).code}`));
    await waitFor(() => order.length === 2, 2_000, 'error and close');
    expect(order).toEqual(['error', 'close 1006']);
    expect(ws.readyState).toBe(FacadeWebSocket.CLOSED);
  });

  it('a message the server sends in its open handler is delivered after open', async () => {
    const server = await startServer({ handlers: { open: (ws) => ws.send('welcome') } });
    const ws = open(`ws://127.0.0.1:${server.port}/`);
    const order: string[] = [];
    ws.onopen = () => order.push('open');
    ws.onmessage = (e) => order.push(`message ${(e as MessageEvent).data}`);
    await waitFor(() => order.length === 2, 1_000, 'open and message');
    expect(order).toEqual(['open', 'message welcome']);
  });

  it('subprotocols: a string or a list; the chosen one is exposed; duplicates are a SyntaxError', async () => {
    const { url } = await startEchoServer({ protocols: ['b'] });
    expect((await opened(url, ['a', 'b'])).protocol).toBe('b');
    expect((await opened(url, 'b')).protocol).toBe('b');
    expect(() => new FacadeWebSocket(url, ['a', 'a'])).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
  });

  it('bad URLs are a SyntaxError; http(s) URLs are mapped to ws(s)', async () => {
    expect(() => new FacadeWebSocket('ftp://x/')).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    expect(() => new FacadeWebSocket('ws://x/#frag')).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    const { server } = await startEchoServer();
    const ws = await opened(`http://127.0.0.1:${server.port}/`);
    expect(ws.url).toBe(`ws://127.0.0.1:${server.port}/`);
  });

  it('close() while CONNECTING: CLOSING at once, then a close event', async () => {
    const { url } = await startEchoServer();
    const ws = open(url);
    const closed = once<CloseEvent>(ws, 'close');
    ws.close();
    expect(ws.readyState).toBe(FacadeWebSocket.CLOSING);
    await closed;
    expect(ws.readyState).toBe(FacadeWebSocket.CLOSED);
  });
});
