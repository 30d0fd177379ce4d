// Timers owned by the server layer, over real sockets with small timeouts: close timeout, handshake timeout
// (stalled heads, stalled authorize hooks, slowloris), idle timeout.
import { afterEach, describe, expect, it } from 'vitest';
import { openStalled, RawClient, upgradeRequest } from '../helpers/raw.js';
import { cleanupAll, Recorder, startServer, WsClient } from '../helpers/servers.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

afterEach(cleanupAll);

describe('close timeout', () => {
  it('a peer that ignores our close is dropped after closeTimeout; close reports 1006', async () => {
    const events = new Recorder();
    const server = await startServer({ closeTimeout: 200, handlers: events.handlers() });
    const client = await RawClient.connect(server.port);
    await waitFor(() => events.opened.length === 1, 1_000, 'open');
    const started = Date.now();
    events.opened[0].close(1000, 'bye');
    expect((await client.expectClose()).code).toBe(1000);
    // We read the close but never answer it.
    await client.waitClosed(2_000);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(1_000);
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0].code).toBe(1006);
    expect(server.clients.size).toBe(0);
  });

  it('a peer that never reads at all is dropped after closeTimeout too', async () => {
    const events = new Recorder();
    const server = await startServer({ closeTimeout: 200, handlers: events.handlers() });
    const client = await RawClient.connect(server.port);
    client.pause();
    await waitFor(() => events.opened.length === 1, 1_000, 'open');
    events.opened[0].close();
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0].code).toBe(1006);
  });

  it('after a protocol error, a peer that keeps TCP open is dropped after closeTimeout', async () => {
    const events = new Recorder();
    const server = await startServer({ closeTimeout: 200, handlers: events.handlers() });
    const client = await RawClient.connect(server.port);
    client.send({ opcode: 3 });
    expect((await client.expectClose()).code).toBe(1002);
    await client.waitEnded(1_000);
    await client.waitClosed(1_000);
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0].code).toBe(1002);
  });
});

describe('handshake timeout', () => {
  it('half a request head, then silence: closed within about handshakeTimeout (408 or dropped)', async () => {
    const server = await startServer({ handshakeTimeout: 300 });
    const head = upgradeRequest(server.port);
    const started = Date.now();
    const stalled = await openStalled(server.port, head.slice(0, head.length >> 1));
    const closedAt = await withTimeout(stalled.closedAt, 3_000, 'the stalled connection to be closed');
    expect(closedAt - started).toBeGreaterThanOrEqual(250);
    expect(closedAt - started).toBeLessThan(1_500);
    const received = stalled.received();
    if (received !== '') expect(received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('a connection that sends nothing is closed within about handshakeTimeout', async () => {
    const server = await startServer({ handshakeTimeout: 300 });
    const started = Date.now();
    const stalled = await openStalled(server.port, '');
    const closedAt = await withTimeout(stalled.closedAt, 3_000, 'the idle connection to be closed');
    expect(closedAt - started).toBeLessThan(1_500);
  });

  it('an authorize hook that never resolves → 408 after handshakeTimeout', async () => {
    const events = new Recorder();
    const server = await startServer({
      handshakeTimeout: 300,
      authorize: () => new Promise<boolean>(() => undefined),
      handlers: events.handlers(),
    });
    const started = Date.now();
    const stalled = await openStalled(server.port, upgradeRequest(server.port));
    const closedAt = await withTimeout(stalled.closedAt, 3_000, 'the connection to be closed');
    expect(closedAt - started).toBeGreaterThanOrEqual(250);
    expect(closedAt - started).toBeLessThan(1_500);
    expect(stalled.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(stalled.received()).toMatch(/timed out/i);
    expect(events.opened).toHaveLength(0);
  });

  it('slowloris: many stalled half-handshakes do not block a good client, and are all closed', async () => {
    const server = await startServer({ handshakeTimeout: 500 });
    const head = upgradeRequest(server.port);
    const stalled = await Promise.all(Array.from({ length: 50 }, () => openStalled(server.port, head.slice(0, 40))));
    const client = await WsClient.open(`ws://127.0.0.1:${server.port}/`);
    expect(client.ws.readyState).toBe(1);
    const started = Date.now();
    await withTimeout(Promise.all(stalled.map((s) => s.closedAt)), 3_000, 'all stalled connections to be closed');
    expect(Date.now() - started).toBeLessThan(2_000);
    // The good client is still fine.
    expect(client.ws.readyState).toBe(1);
  });

  it('a handshake that completes in time is not affected by the timer later', async () => {
    const events = new Recorder();
    const server = await startServer({ handshakeTimeout: 200, handlers: events.handlers() });
    const client = await RawClient.connect(server.port);
    await new Promise((resolve) => setTimeout(resolve, 400));
    client.sendText('still here');
    await waitFor(() => events.messages.length === 1, 1_000, 'message');
    expect(events.closes).toHaveLength(0);
  });
});

describe('idle timeout', () => {
  it('a socket with no traffic for idleTimeout is closed with 1001', async () => {
    const events = new Recorder();
    const server = await startServer({ idleTimeout: 200, closeTimeout: 200, handlers: events.handlers() });
    const client = await WsClient.open(`ws://127.0.0.1:${server.port}/`);
    const started = Date.now();
    const closed = await withTimeout(client.closed, 2_000, 'idle close');
    expect(closed.code).toBe(1001);
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
  });

  it('traffic keeps a socket alive past idleTimeout', async () => {
    const events = new Recorder();
    const server = await startServer({ idleTimeout: 200, handlers: events.handlers() });
    const client = await WsClient.open(`ws://127.0.0.1:${server.port}/`);
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 80));
      client.ws.ping();
    }
    expect(client.ws.readyState).toBe(1);
    expect(events.closes).toHaveLength(0);
  });
});
