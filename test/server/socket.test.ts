// WsSocket over real sockets. Backpressure: a raw client that stops reading makes the kernel buffers fill up, then the
// server's user-space buffer. `send` reports sent → buffered → dropped; the 'close' policy closes; `drain` fires
// when the client reads again; reading from the peer pauses while our writes to it are backed up.
import { createServer as createHttpServer } from 'node:http';
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type ServerOptions } from '../../src/server/server.js';
import type { SendResult, WsSocket } from '../../src/server/socket.js';
import { Op } from '../helpers/frames.js';
import { RawClient } from '../helpers/raw.js';
import { cleanupAll, onCleanup, Recorder, startEchoServer, startServer } from '../helpers/servers.js';
import { delay, waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const CAP = 1024 * 1024;

async function backedUp(options: ServerOptions = {}): Promise<{ ws: WsSocket; client: RawClient; events: Recorder }> {
  const events = new Recorder();
  const server = await startServer({
    maxBufferedAmount: CAP,
    closeTimeout: 200,
    ...options,
    handlers: events.handlers(),
  });
  const client = await RawClient.connect(server.port);
  client.pause();
  await waitFor(() => events.opened.length === 1, 1_000, 'open');
  return { ws: events.opened[0], client, events };
}

/** Sends 64 KiB messages until one is 'dropped' (bounded: 2000 × 64 KiB). Synchronous: the kernel takes what it can. */
function sendUntilRefused(ws: WsSocket): SendResult[] {
  const results: SendResult[] = [];
  for (let i = 0; i < 2000; i++) {
    const result = ws.send(CHUNK);
    results.push(result);
    if (result === 'dropped') break;
  }
  return results;
}

/**
 * Fills the kernel buffers and then our own: rounds of `sendUntilRefused` until, 50 ms after a round, the kernel has
 * taken nothing more (how much loopback buffers before that varies with load and autotuning). Drains that fired
 * while the kernel was still taking data are forgotten.
 */
async function fill(ws: WsSocket, events: Recorder): Promise<SendResult[]> {
  const results: SendResult[] = [];
  for (let round = 0; round < 100; round++) {
    results.push(...sendUntilRefused(ws));
    const queued = ws.bufferedAmount;
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (ws.bufferedAmount === queued) break;
  }
  events.drains.splice(0);
  return results;
}

describe('backpressure', () => {
  it("policy 'drop': sends return buffered, then dropped past maxBufferedAmount; control frames still go", async () => {
    const { ws, client, events } = await backedUp({ backpressurePolicy: 'drop' });
    const results = await fill(ws, events);
    expect(results.at(-1)).toBe('dropped');
    expect(results).toContain('buffered');
    expect(ws.bufferedAmount).toBeLessThanOrEqual(CAP);
    expect(ws.bufferedAmount).toBeGreaterThan(CAP - 2 * CHUNK.length);
    // Still refused while backed up; the socket stays open.
    expect(ws.send(CHUNK)).toBe('dropped');
    expect(ws.readyState).toBe(1);
    // Control frames are never dropped.
    ws.ping('still alive');

    client.resume();
    const accepted = results.filter((r) => r !== 'dropped').length;
    for (let i = 0; i < accepted; i++) {
      const frame = await client.nextFrame(5_000);
      expect(frame.opcode).toBe(Op.Binary);
      expect(frame.payload.length).toBe(CHUNK.length);
    }
    const ping = await client.nextFrame();
    expect(ping.opcode).toBe(Op.Ping);
    expect(ping.payload.toString()).toBe('still alive');
    await waitFor(() => events.drains.length >= 1, 2_000, 'drain');
    expect(ws.send(CHUNK)).not.toBe('dropped');
  });

  it("policy 'close': a send past maxBufferedAmount closes the socket (dropped after closeTimeout: the peer never reads)", async () => {
    const { ws, events } = await backedUp({ backpressurePolicy: 'close' });
    const results = sendUntilRefused(ws);
    // The first refusal closes the socket, whether or not the kernel would have taken more later.
    expect(results.at(-1)).toBe('dropped');
    expect(ws.readyState).toBe(2);
    expect(ws.send('more')).toBe('dropped');
    await waitFor(() => events.closes.length === 1, 2_000, 'close handler');
    expect(ws.readyState).toBe(3);
  });

  it("policy 'close' with a peer that reads again: it gets the queued data, then Close 1008", async () => {
    const { ws, client } = await backedUp({ backpressurePolicy: 'close', closeTimeout: 5_000 });
    const results = sendUntilRefused(ws);
    expect(results.at(-1)).toBe('dropped');
    client.resume();
    const close = await client.expectClose(5_000);
    expect(close.code).toBe(1008);
    expect(close.before).toHaveLength(results.filter((r) => r !== 'dropped').length);
  });

  it('drain fires once the client reads again', async () => {
    const { ws, client, events } = await backedUp();
    const results = await fill(ws, events);
    expect(results).toContain('buffered');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.drains).toHaveLength(0);
    client.resume();
    await waitFor(() => events.drains.length === 1, 3_000, 'drain');
    expect(events.drains[0]).toBe(ws);
    expect(ws.bufferedAmount).toBe(0);
  });

  it('pauseOnBackpressure: the server reads nothing from the peer until its writes drain', async () => {
    const { ws, client, events } = await backedUp({ pauseOnBackpressure: true });
    await fill(ws, events);
    const mark = events.log.length;
    expect(ws.isPaused).toBe(true);
    client.sendText('while backed up');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(events.messages).toHaveLength(0);
    client.resume();
    await waitFor(() => events.messages.length === 1, 3_000, 'the message after drain');
    expect(events.messages[0].data.toString()).toBe('while backed up');
    const log = events.log.slice(mark).filter((e) => e === 'drain' || e === 'message');
    expect(log.slice(0, 2)).toEqual(['drain', 'message']);
    expect(ws.isPaused).toBe(false);
  });

  it('pauseOnBackpressure: false keeps reading while backed up', async () => {
    const { ws, client, events } = await backedUp({ pauseOnBackpressure: false });
    await fill(ws, events);
    expect(ws.isPaused).toBe(false);
    client.sendText('while backed up');
    await waitFor(() => events.messages.length === 1, 1_000, 'message');
  });

  it('a user pause survives a drain', async () => {
    const { ws, client, events } = await backedUp();
    await fill(ws, events);
    ws.pause();
    client.sendText('paused by the app');
    client.resume();
    await waitFor(() => events.drains.length === 1, 3_000, 'drain');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events.messages).toHaveLength(0);
    ws.resume();
    await waitFor(() => events.messages.length === 1, 1_000, 'message after resume');
  });

  it("a reading peer: a large message is not 'dropped'; a 'buffered' result is always followed by a drain", async () => {
    const { ws, client, events } = await backedUp();
    client.resume();
    const results: SendResult[] = [];
    for (let i = 0; i < 5; i++) {
      results.push(ws.send(Buffer.alloc(32 * 1024)));
      await client.nextFrame();
      await waitFor(
        () => events.drains.length === results.filter((r) => r === 'buffered').length,
        1_000,
        'a drain per buffered send',
      );
    }
    expect(results).not.toContain('dropped');
    expect(ws.isPaused).toBe(false);
    // Small messages on an idle socket are 'sent' and fire no drain.
    expect(ws.send('small')).toBe('sent');
    await client.nextFrame();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events.drains).toHaveLength(results.filter((r) => r === 'buffered').length);
  });

  it('a reading peer: a burst of small messages in one tick is not dropped by a small maxBufferedAmount', async () => {
    const { ws, client } = await backedUp({ maxBufferedAmount: 64 * 1024 });
    client.resume();
    const results: SendResult[] = [];
    // 256 KiB in one synchronous burst: loopback takes it; only what the kernel refuses is backpressure.
    for (let i = 0; i < 256; i++) results.push(ws.send(Buffer.alloc(1024, i)));
    expect(results.filter((r) => r === 'dropped')).toHaveLength(0);
    for (let i = 0; i < 256; i++) expect((await client.nextFrame()).payload[0]).toBe(i & 0xff);
  });

  it('a message larger than maxBufferedAmount is sent on an idle socket, under either policy', async () => {
    for (const backpressurePolicy of ['drop', 'close'] as const) {
      const { ws, client } = await backedUp({ backpressurePolicy, maxBufferedAmount: 64 * 1024 });
      client.resume();
      const big = Buffer.alloc(256 * 1024, 0x62);
      expect(ws.send(big)).not.toBe('dropped');
      expect(ws.readyState).toBe(1);
      expect((await client.nextFrame()).payload.equals(big)).toBe(true);
    }
  });

  it('send on a closed socket returns dropped, never throws', async () => {
    const { ws, client, events } = await backedUp();
    client.resume();
    client.sendClose(1000);
    await waitFor(() => events.closes.length === 1, 1_000, 'close');
    expect(ws.send('late')).toBe('dropped');
    expect(ws.send(Buffer.alloc(10))).toBe('dropped');
    expect(() => ws.ping()).not.toThrow();
    expect(() => ws.close()).not.toThrow();
  });
});

// What a WsSocket keeps on its net.Socket for the life of a connection. An idle server holds one of these per
// connection, so every listener and timer counts (bench memory scenario); these tests pin down that only the
// listeners needed are there, that the ones added on demand still work, and that a half-close is still handled
// without a listener of ours on 'end'.

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
