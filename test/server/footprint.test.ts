// What a WsSocket keeps on its net.Socket for the life of a connection. An idle server holds one of these per
// connection, so every listener and timer counts (bench memory scenario); these tests pin down that only the
// listeners needed are there, that the ones added on demand still work, and that a half-close is still handled
// without a listener of ours on 'end'.
import { createServer as createHttpServer } from 'node:http';
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/server.js';
import type { SendResult, WsSocket } from '../../src/server/socket.js';
import { RawClient } from '../helpers/raw.js';
import { cleanupAll, onCleanup, Recorder, startEchoServer, startServer } from '../helpers/servers.js';
import { delay, waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

/** The transport under a WsSocket (a private field: these tests are about it). */
function transportOf(ws: WsSocket<unknown>): Socket {
  return (ws as unknown as { socket: Socket }).socket;
}

/** Listeners Node itself puts on a fresh socket, per event. */
function nodeListenerCount(event: string): number {
  const fresh = new Socket();
  const count = fresh.listenerCount(event);
  fresh.destroy();
  return count;
}

describe('per-connection footprint', () => {
  it('an open idle socket carries only data, close and error listeners of ours; no drain, timeout or end', async () => {
    const { server, events } = await startEchoServer();
    await RawClient.connect(server.port);
    await waitFor(() => events.opened.length === 1, 1_000, 'open');
    const socket = transportOf(events.opened[0]);
    expect(socket.listenerCount('data')).toBe(1);
    expect(socket.listenerCount('drain')).toBe(nodeListenerCount('drain'));
    expect(socket.listenerCount('timeout')).toBe(0);
    expect(socket.listenerCount('end')).toBe(nodeListenerCount('end'));
    expect(socket.timeout ?? 0).toBe(0);
  });

  it("the 'drain' listener is added at the first buffered send, once, and the drain handler still fires", async () => {
    const events = new Recorder();
    const server = await startServer({ maxBufferedAmount: 64 * 1024 * 1024, handlers: events.handlers() });
    const client = await RawClient.connect(server.port);
    client.pause();
    await waitFor(() => events.opened.length === 1, 1_000, 'open');
    const ws = events.opened[0];
    const socket = transportOf(ws);
    const baseline = socket.listenerCount('drain');
    const chunk = Buffer.alloc(256 * 1024, 0x62);
    const results: SendResult[] = [];
    // Bounded: 400 × 256 KiB is far more than loopback buffers hold.
    for (let i = 0; i < 400 && results.filter((r) => r === 'buffered').length < 3; i++) results.push(ws.send(chunk));
    expect(results.filter((r) => r === 'buffered').length).toBe(3);
    expect(socket.listenerCount('drain')).toBe(baseline + 1);
    client.resume();
    await waitFor(() => events.drains.length >= 1, 5_000, 'drain handler');
    expect(ws.bufferedAmount).toBeLessThan(socket.writableHighWaterMark);
    expect(socket.listenerCount('drain')).toBe(baseline + 1);
  });

  it("with idleTimeout, the socket gets its timer and 'timeout' listener, and the idle close still comes", async () => {
    const { server, events } = await startEchoServer({ idleTimeout: 150 });
    const client = await RawClient.connect(server.port);
    await waitFor(() => events.opened.length === 1, 1_000, 'open');
    const socket = transportOf(events.opened[0]);
    expect(socket.listenerCount('timeout')).toBe(1);
    expect(socket.timeout).toBe(150);
    const close = await client.expectClose(2_000);
    expect(close).toMatchObject({ code: 1001, reason: 'idle timeout' });
  });

  it('a timeout set on an attached HTTP server does not stay armed on upgraded sockets', async () => {
    const http = createHttpServer();
    http.setTimeout(100);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const events = new Recorder();
    const server = await createServer({ server: http, handlers: events.handlers() });
    onCleanup(() => server.close({ timeout: 100 }));
    const address = http.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    const client = await RawClient.connect(address.port);
    await waitFor(() => events.opened.length === 1, 1_000, 'open');
    expect(transportOf(events.opened[0]).timeout).toBe(0);
    await delay(300);
    expect(events.opened[0].readyState).toBe(1);
    client.sendText('still here');
    await waitFor(() => events.messages.length === 1, 1_000, 'message');
  });

  it('a peer that half-closes TCP (FIN, no Close frame) is reported as 1006 and the server closes its side', async () => {
    const { server, events } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    await waitFor(() => events.opened.length === 1, 1_000, 'open');
    client.end();
    await client.waitClosed(2_000);
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0].code).toBe(1006);
    expect(events.opened[0].readyState).toBe(3);
  });

  it('a FIN right after a Close frame completes the handshake: the close handler gets the code sent', async () => {
    const { server, events } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    await waitFor(() => events.opened.length === 1, 1_000, 'open');
    client.sendClose(4001, 'leaving');
    client.end();
    await client.waitClosed(2_000);
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0]).toMatchObject({ code: 4001, reason: 'leaving' });
  });
});
